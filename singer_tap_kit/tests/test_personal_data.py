"""The rules of ``personal_data``, case by case (README, "Personal data")."""

from __future__ import annotations

import hashlib
import hmac
import logging
import typing as t

import pytest
from singer_sdk.mapper import PluginMapper

from singer_tap_kit import personal_data as pd
from singer_tap_kit.personal_data import Kind

KEY = "0123456789abcdef0123"


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("+7 (912) 345-67-89", "79123456789"),
        ("79123456789", "79123456789"),
        ("89123456789", "79123456789"),
        ("9123456789", "79123456789"),
        ("8 912 345 67 89", "79123456789"),
        ("+998 90 123 45 67", "998901234567"),
        ("901234567", "998901234567"),
        ("+44 20 7946 0958", "442079460958"),
        (" Скрыт ", "Скрыт"),
    ],
)
def test_a_phone_number_is_normalized_to_its_international_digits(
    spelling: str, normal: str
) -> None:
    assert pd.normalize_phone(spelling) == normal


def test_every_spelling_of_a_phone_number_gives_one_keyed_hash() -> None:
    spellings = ["+7 (912) 345-67-89", "79123456789", "89123456789", "9123456789"]
    hashes = {pd.keyed_hash(KEY, Kind.PHONE, spelling) for spelling in spellings}
    documented = hmac.new(KEY.encode(), b"phone:79123456789", hashlib.sha256).hexdigest()
    assert hashes == {documented}


def test_the_hash_is_keyed_not_a_plain_hash_of_the_number() -> None:
    hashed = pd.keyed_hash(KEY, Kind.PHONE, "79123456789")
    assert hashed != hashlib.sha256(b"79123456789").hexdigest()
    assert hashed != pd.keyed_hash(KEY + "x", Kind.PHONE, "79123456789")


def test_names_are_hashed_whatever_their_case_spaces_or_yo() -> None:
    spellings = ["Фёдорова  Алёна", "фёдорова алёна", "ФЕДОРОВА АЛЕНА", " Федорова Алена "]
    assert len({pd.keyed_hash(KEY, Kind.NAME, name) for name in spellings}) == 1


def test_a_name_with_half_an_emoji_is_hashed_as_the_vendor_sent_it() -> None:
    """JSON may carry a lone surrogate ("\\ud83d"), which keep writes: hash must not fail."""
    name = "Иван \ud83d"
    message = "name:иван \ud83d".encode("utf-8", "surrogatepass")
    documented = hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()
    assert pd.keyed_hash(KEY, Kind.NAME, name) == documented


def test_a_phone_and_a_name_with_the_same_text_hash_apart() -> None:
    assert pd.keyed_hash(KEY, Kind.PHONE, "123") != pd.keyed_hash(KEY, Kind.NAME, "123")


def test_a_description_marks_its_field_and_the_mark_is_read_back() -> None:
    schema: dict[str, dict[str, dict[str, t.Any]]] = {
        "properties": {
            "phone": {"type": ["string", "null"], "description": pd.mark(Kind.PHONE, "Client.")},
            "text": {"type": ["string", "null"], "description": pd.mark(Kind.TEXT)},
            "id": {"type": ["string"], "description": "Call id."},
            "plain": {"type": ["string"]},
        }
    }
    assert pd.fields_of(schema) == {"phone": Kind.PHONE, "text": Kind.TEXT}
    assert schema["properties"]["phone"]["description"].startswith("Personal data (phone number)")
    assert schema["properties"]["phone"]["description"].endswith("Client.")


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({}, None),
        ({"personal_data": "keep"}, None),
        ({"personal_data": "drop"}, None),
        ({"personal_data": "hash", "personal_data_key": KEY}, None),
        ({"personal_data": "hash"}, "needs personal_data_key"),
        ({"personal_data": "hash", "personal_data_key": "short"}, "too short"),
        ({"personal_data": "hash", "personal_data_key": " " * 20}, "needs personal_data_key"),
        ({"personal_data": "hash", "personal_data_key": f" {KEY[:8]}\n\t "}, "too short"),
        ({"personal_data": "drop", "batch_config": {}}, "remove batch_config"),
    ],
)
def test_the_settings_that_cannot_work_together(
    settings: dict[str, t.Any], words: str | None
) -> None:
    errors = pd.setting_errors(settings, batches="batch_config" in settings)
    if words is None:
        assert errors == []
    else:
        assert len(errors) == 1
        assert words in errors[0]


FIELDS = {
    "calls": {"phone": Kind.PHONE, "messagesAsString": Kind.TEXT},
    "call_messages": {"text": Kind.TEXT},
}
PHONE = "personal_data(record, 'phone', 'PHONE')"
TEXT = "personal_data(record, 'messagesAsString', 'TEXT')"
LINE = "personal_data(record, 'text', 'TEXT')"


def _maps(user: dict[str, t.Any], **config: t.Any) -> dict[str, t.Any]:
    masking = pd.Masking({"personal_data": "hash", "personal_data_key": KEY} | config)
    return pd.stream_maps(user, FIELDS, masking)


def test_without_maps_of_the_users_each_stream_gets_its_expressions() -> None:
    assert _maps({}) == {
        "calls": {"phone": PHONE, "messagesAsString": TEXT},
        "call_messages": {"text": LINE},
    }


def test_with_personal_data_keep_text_text_is_left_alone() -> None:
    assert _maps({}, personal_data_keep_text=True) == {"calls": {"phone": PHONE}}


def test_a_users_map_of_the_stream_keeps_its_filter_and_loses_its_copy_of_a_phone() -> None:
    user = {"calls": {"__filter__": "status == 'ANSWERED'", "phone": "phone", "n": "1"}}
    assert _maps(user)["calls"] == {
        "__filter__": "status == 'ANSWERED'",
        "phone": PHONE,
        "n": "1",
        "messagesAsString": TEXT,
    }


def test_a_users_map_that_keeps_only_some_fields_gets_expressions_only_for_them() -> None:
    user = {"calls": {"__else__": None, "id": "id", "phone": "phone"}}
    assert _maps(user)["calls"] == {"__else__": None, "id": "id", "phone": PHONE}


def test_a_field_the_users_map_removes_stays_removed() -> None:
    assert _maps({"calls": {"phone": None}})["calls"] == {"phone": None, "messagesAsString": TEXT}


def test_a_wildcard_map_is_repeated_for_each_stream_after_it_with_the_expressions() -> None:
    user = {"*": {"__filter__": "True"}, "tasks": {"name": "name"}}
    maps = _maps(user)
    assert list(maps) == ["*", "tasks", "calls", "call_messages"]
    assert maps["calls"] == {"__filter__": "True", "phone": PHONE, "messagesAsString": TEXT}
    assert maps["*"] == {"__filter__": "True"}


def test_a_stream_the_user_removes_stays_removed() -> None:
    assert _maps({"call_messages": None})["call_messages"] is None


def test_a_copy_of_a_stream_is_masked_in_its_own_place() -> None:
    user = {"numbers": {"__source__": "calls", "__else__": None, "id": "id", "phone": "phone"}}
    assert _maps(user)["numbers"] == {
        "__source__": "calls",
        "__else__": None,
        "id": "id",
        "phone": PHONE,
    }


def test_streams_the_users_else_null_leaves_out_stay_out() -> None:
    """``__else__: null`` at the top syncs only the streams with a map: no map is added for
    the others, which would bring them back."""
    maps = _maps({"__else__": None, "tasks": {}, "call_messages": {}})
    assert maps == {"__else__": None, "tasks": {}, "call_messages": {"text": LINE}}


@pytest.mark.parametrize(
    "expression",
    ["phone", "phone[-4:]", "md5(phone)", "record['phone']", "_.get('messagesAsString')"],
)
def test_a_users_map_that_reads_a_masked_field_into_another_is_refused(expression: str) -> None:
    """Every map sees the raw record: ``client: phone`` would load the number itself."""
    with pytest.raises(ValueError, match="'client' is computed from the raw record"):
        _maps({"calls": {"client": expression}})
    with pytest.raises(ValueError, match="'client' is computed from the raw record"):
        _maps({"numbers": {"__source__": "calls", "client": expression}})


def test_a_users_map_may_read_fields_that_are_not_masked() -> None:
    user = {"calls": {"__filter__": "phone != ''", "n": "id + status", "t": "messagesAsString"}}
    assert _maps(user, personal_data_keep_text=True)["calls"] == user["calls"] | {"phone": PHONE}


def test_a_copy_of_streams_by_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="give it one stream's name"):
        _maps({"copies": {"__source__": "call*"}})


@pytest.mark.parametrize(
    ("mode", "keep_text", "kind", "expected"),
    [
        ("hash", False, Kind.PHONE, pd.keyed_hash(KEY, Kind.PHONE, "79123456789")),
        ("hash", False, Kind.TEXT, None),
        ("hash", True, Kind.TEXT, "79123456789"),
        ("hash", False, Kind.RECORDING, None),
        ("drop", False, Kind.PHONE, None),
        ("drop", True, Kind.TEXT, None),
    ],
)
def test_what_each_mode_makes_of_a_value(
    mode: str, keep_text: bool, kind: Kind, expected: str | None
) -> None:
    settings = {
        "personal_data": mode,
        "personal_data_key": KEY,
        "personal_data_keep_text": keep_text,
    }
    assert pd.Masking(settings).value(kind, "79123456789") == expected


def test_an_empty_value_stays_empty_not_a_hash_of_nothing() -> None:
    masking = pd.Masking({"personal_data": "hash", "personal_data_key": KEY})
    assert masking.value(Kind.PHONE, None) is None
    assert masking.value(Kind.PHONE, "") is None


def test_the_sdks_mapper_runs_the_expressions_and_keeps_the_schema() -> None:
    """``install`` adds a function to simpleeval's public ``functions`` of each map the SDK
    built: this fails if the SDK stops building its maps that way."""
    masking = pd.Masking({"personal_data": "hash", "personal_data_key": KEY})
    maps = pd.stream_maps({}, FIELDS, masking)
    logger = logging.getLogger("test")
    mapper = PluginMapper(plugin_config={"stream_maps": maps}, logger=logger)
    schema = {
        "properties": {
            "id": {"type": ["string"]},
            "phone": {"type": ["string", "null"]},
            "messagesAsString": {"type": ["string", "null"]},
        }
    }
    mapper.register_raw_stream_schema("calls", schema, ["id"])
    pd.install(mapper, masking)
    (calls,) = mapper.stream_maps["calls"]
    assert calls.transformed_schema["properties"] == schema["properties"]
    record = {"id": "a", "phone": "89123456789", "messagesAsString": "Алло, это Иван"}
    assert calls.transform(record) == {
        "id": "a",
        "phone": pd.keyed_hash(KEY, Kind.PHONE, "79123456789"),
        "messagesAsString": None,
    }
    assert calls.transform({"id": "b"}) == {"id": "b", "phone": None, "messagesAsString": None}
