"""Reading an export body: what counts as complete, what is an error, how bad UTF-8 is repaired.

Bodies are built in memory (io.BytesIO); no HTTP and no tap here.
"""

from __future__ import annotations

import contextlib
import io
import json
import typing as t

import pytest

from tap_aiokk import body


def dialog(dialog_id: int | None, summary: str = "ok") -> dict[str, t.Any]:
    """A dialog as the export sends it, reduced to what body.py reads; no id, no ``call``."""
    found: dict[str, t.Any] = {"analytics": {"summary": summary, "price": 1.5}}
    if dialog_id is not None:
        found["call"] = {"dialogId": dialog_id}
    return found


def array(*dialogs: dict[str, t.Any]) -> bytes:
    return json.dumps(list(dialogs), ensure_ascii=False).encode()


def with_bytes(dialog_id: int, raw: bytes) -> bytes:
    """One dialog whose summary holds ``raw`` as it is, valid UTF-8 or not."""
    return array(dialog(dialog_id, "MARK")).replace(b"MARK", raw)


# A complete array, or why not ------------------------------------------------------------


def test_a_complete_array_is_counted_and_rewound() -> None:
    received = io.BytesIO(array(dialog(1), dialog(2), dialog(3)))
    assert body.check_dialog_array(received) == 3
    assert received.tell() == 0


def test_an_empty_array_is_a_complete_body() -> None:
    assert body.check_dialog_array(io.BytesIO(b" \n[]")) == 0


@pytest.mark.parametrize(
    ("received", "words"),
    [
        pytest.param(array(dialog(1), dialog(2))[:-9], "after 1 dialogs", id="cut off"),
        pytest.param(b"", "body is empty", id="empty"),
        pytest.param(b"<html>502 Bad Gateway</html>", "an HTML or XML page", id="an html page"),
        pytest.param(b"token=secret-value", "body is text", id="text, never shown"),
        pytest.param(b'{"error": "API not pa', "error object cut off", id="error cut off"),
    ],
)
def test_a_body_that_is_not_complete_json_is_worth_a_retry(received: bytes, words: str) -> None:
    with pytest.raises(body.IncompleteBodyError, match=words) as raised:
        body.check_dialog_array(io.BytesIO(received))
    assert "secret" not in str(raised.value)


def test_an_object_without_an_error_is_not_worth_a_retry() -> None:
    with pytest.raises(body.UnexpectedBodyError):
        body.check_dialog_array(io.BytesIO(b'{"dialogs": []}'))


@pytest.mark.parametrize(
    ("payload", "text", "transient"),
    [
        pytest.param(
            {"error": "API not paid", "code": "billing"}, "API not paid: billing", False, id="paid"
        ),
        pytest.param({"error": "Сервис временно недоступен"}, None, True, id="outage, russian"),
        pytest.param({"error": "Service unavailable"}, None, True, id="outage, english"),
        pytest.param({"error": "bad token", "message": "expired"}, None, False, id="token"),
    ],
)
def test_an_error_object_is_the_vendors_and_only_an_outage_is_transient(
    payload: dict[str, str], text: str | None, transient: bool
) -> None:
    with pytest.raises(body.VendorError) as raised:
        body.check_dialog_array(io.BytesIO(json.dumps(payload, ensure_ascii=False).encode()))
    assert raised.value.transient is transient
    if text is not None:
        assert str(raised.value) == text


def test_a_dialog_array_is_no_error_body() -> None:
    assert body.vendor_error([{"error": "x"}]) is None
    assert body.vendor_error_text({"code": "x"}) is None


# UTF-8 repair ----------------------------------------------------------------------------


def test_a_valid_body_is_returned_as_it_is_with_no_replacements() -> None:
    received = io.BytesIO(array(dialog(1, "Привет"), dialog(2)))
    checked, count, replaced = body.check_repairing_utf8(received)
    assert (checked, count, replaced) == (received, 2, [])


@contextlib.contextmanager
def repairing(received: bytes) -> t.Iterator[tuple[t.IO[bytes], int, list[str]]]:
    """``check_repairing_utf8`` on ``received``, closing the copy it returns, as the tap does."""
    checked, count, replaced = body.check_repairing_utf8(io.BytesIO(received))
    with checked:
        yield checked, count, replaced


def test_bytes_that_are_not_utf8_are_replaced_and_cost_no_dialog() -> None:
    received = array(dialog(1))[:-1] + b"," + with_bytes(7, b"caf\xe9 ok")[1:]
    with repairing(received) as (checked, count, replaced):
        summaries = [d["analytics"]["summary"] for d in body.dialogs(checked)]
    assert (count, replaced) == (2, ["7"])
    assert summaries == ["ok", "caf\ufffd ok"]


def test_only_the_dialogs_with_a_replacement_are_reported() -> None:
    dialogs = [
        with_bytes(1, b"fine"),
        with_bytes(2, b"\xff\xfe"),
        with_bytes(3, "Привет".encode()),
        with_bytes(4, "Привет".encode("cp1251")),
    ]
    received = b"[" + b",".join(d[1:-1] for d in dialogs) + b"]"
    with repairing(received) as (_, count, replaced):
        assert (count, replaced) == (4, ["2", "4"])


@pytest.mark.parametrize(
    "call", [None, {}, {"dialogId": None}], ids=["no-call", "no-id", "null-id"]
)
def test_a_dialog_without_an_id_is_reported_as_such(call: dict[str, t.Any] | None) -> None:
    without_id = dialog(None, "MARK")
    if call is not None:
        without_id["call"] = call
    received = array(without_id).replace(b"MARK", b"\xe9")
    with repairing(received) as (_, _, replaced):
        assert replaced == ["without an id"]


def test_a_character_split_across_two_reads_is_no_replacement() -> None:
    """The body is read in 1 MB pieces: a valid character across a boundary stays whole,
    while one bad byte elsewhere makes the whole body go through the repair."""
    head = b'[{"call": {"dialogId": 1}, "analytics": {"summary": "'
    padding = b"a" * (body._CHUNK - len(head) - 1)
    first = head + padding + "Ж".encode() + b'"}}'  # Ж's two bytes straddle the boundary
    received = first + b', {"call": {"dialogId": 2}, "analytics": {"summary": "\xe9"}}]'
    with repairing(received) as (checked, count, replaced):
        assert (count, replaced) == (2, ["2"])
        assert next(body.dialogs(checked))["analytics"]["summary"].endswith("aЖ")


def test_a_cut_off_body_is_still_cut_off_after_the_repair() -> None:
    with pytest.raises(body.IncompleteBodyError):
        body.check_repairing_utf8(io.BytesIO(with_bytes(1, b"\xe9")[:-3]))


def test_a_cut_off_body_in_valid_utf8_is_not_repaired() -> None:
    with pytest.raises(body.IncompleteBodyError, match="after 0 dialogs"):
        body.check_repairing_utf8(io.BytesIO(array(dialog(1))[:-3]))


# Parsing ------------------------------------------------------------------------------------


def test_dialogs_come_one_at_a_time_with_floats_as_floats() -> None:
    parsed = body.dialogs(io.BytesIO(array(dialog(1), dialog(2))))
    first = next(parsed)
    assert first["call"] == {"dialogId": 1}
    assert type(first["analytics"]["price"]) is float
    assert [d["call"]["dialogId"] for d in parsed] == [2]
