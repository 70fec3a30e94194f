"""What Meltano sees of tap-aiokk: --about, --discover, and a bad record among good ones."""

from __future__ import annotations

import copy
import json
import logging
import typing as t

from call_emulator import AiokkAccount, Emulator
from call_emulator.aiokk import ErrorMode
from call_emulator.testing.aiokk_support import AIOKK_TOKEN, dialog_with_id, mount_aiokk
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import run_tap, tap_json
from singer_tap_kit.redaction import MASK, SecretFilter

if t.TYPE_CHECKING:
    from pathlib import Path

SEED = fixture_json("aiokk_seed_dialogs.json")[0]


def tap_output(*args: str) -> t.Any:
    return tap_json("tap_aiokk", *args)


def test_about_marks_the_token_secret_and_requires_the_url() -> None:
    settings = tap_output("--about", "--format=json")["settings"]
    assert settings["required"] == ["api_url", "token"]
    assert settings["properties"]["token"]["secret"] is True
    assert settings["properties"]["call_types"]["default"] == [1, 2, 3, 4]
    assert "timezone" in settings["properties"]


def test_discover_declares_keys_and_bookmarks(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_url": "https://example.invalid", "token": "x"}))
    catalog = tap_output("--config", str(config), "--discover")
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert set(streams) == {"dialogs", "dialog_criteria", "dialog_signals"}
    assert streams["dialogs"]["key_properties"] == ["dialog_id"]
    assert streams["dialogs"]["replication_key"] == "finished_at"
    assert streams["dialogs"]["replication_method"] == "INCREMENTAL"
    assert streams["dialog_criteria"]["key_properties"] == ["dialog_id", "number"]
    assert streams["dialog_signals"]["key_properties"] == ["dialog_id", "position"]
    for entry in streams.values():
        properties = entry["schema"]["properties"]
        timestamps = [name for name, spec in properties.items() if spec.get("format")]
        assert timestamps, entry["tap_stream_id"]
        assert all(properties[name]["format"] == "date-time" for name in timestamps)


def test_odd_values_are_left_empty_and_broken_dialogs_skipped(
    emulator: Emulator, tmp_path: Path
) -> None:
    odd = dialog_with_id(SEED, 2)
    odd["call"]["date"] = "вчера"
    odd["analytics"]["evaluationCriteria"]["criterion1"]["mark1"] = "high"
    odd["analytics"]["signals"]["mentionedSignals"] = ["блин", "может быть"]
    no_id = copy.deepcopy(SEED)
    del no_id["call"]["dialogId"]
    bad_id = dialog_with_id(SEED, 0)
    bad_id["call"]["dialogId"] = "abc"
    items = [dialog_with_id(SEED, 1), odd, no_id, None, "x", bad_id, dialog_with_id(SEED, 3)]
    account = AiokkAccount.from_dialogs([SEED], token=AIOKK_TOKEN)
    account.error = ErrorMode(body=json.dumps(items, ensure_ascii=False), status=200)
    config = mount_aiokk(emulator, account)
    config["call_types"] = [1]

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-2000:]
    dialogs = {r["dialog_id"]: r for r in run.records("dialogs")}
    assert sorted(dialogs) == [1, 2, 3]
    assert dialogs[2]["call_date"] is None
    assert dialogs[2]["created_at"] == dialogs[1]["created_at"]
    assert dialogs[2]["criteria"][0] == {
        "number": 1,
        "description": dialogs[1]["criteria"][0]["description"],
        "mark": None,
    }
    assert dialogs[2]["mentioned_signals"] == ["блин", "может быть"]
    assert len(run.records("dialog_criteria")) == 30
    assert "Dialog 2: call.date: unexpected value 'вчера'; left empty" in run.stderr
    assert run.stderr.count("Skipped a dialog") == 4
    assert "call.dialogId is 'abc'" in run.stderr


def test_secret_filter_masks_messages_and_tracebacks() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter([AIOKK_TOKEN]))
    try:
        raise ValueError(f"bad token {AIOKK_TOKEN}")
    except ValueError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "token=%s", (AIOKK_TOKEN,), (type(exc), exc, None)
        )
    handler.filter(record)
    text = logging.Formatter().format(record)
    assert AIOKK_TOKEN not in text
    assert text.count(MASK) == 2


def test_a_config_path_with_an_equals_sign_is_read(emulator: Emulator, tmp_path: Path) -> None:
    account = AiokkAccount(dialogs=30, token=AIOKK_TOKEN)
    run = run_tap("tap_aiokk", mount_aiokk(emulator, account), tmp_path / "team=calls")
    assert run.exit_code == 0, run.stderr[-2000:]
    assert {r["dialog_id"] for r in run.records("dialogs")} == set(account.finished_ids())
