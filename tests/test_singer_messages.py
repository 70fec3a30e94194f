"""What every tap writes for a loader: each stream's SCHEMA once, and RECORDs that match it.

A SCHEMA makes target-duckdb load what it holds, so one per child sync (per twin24 page, per
batch of aiokk dialogs, per alovoice call) turned a run into hundreds of small loads. And the
loaders in meltano.yml do not validate records (it costs them more than the tap's own time),
so these tests are what proves that every RECORD a tap emits is valid against its stream's
SCHEMA: over realistic emulated accounts with many child syncs, plus the vendors' own examples
and items with nulls, empty values, zeros, large numbers and long or unusual text.
"""

from __future__ import annotations

import copy
import json
import re
import typing as t
from collections import Counter
from datetime import datetime

import pytest
from jsonschema import Draft7Validator, FormatChecker

from call_emulator import AiokkAccount, Emulator
from call_emulator.testing.aiokk_truth import criteria_keys, finished, signal_keys
from call_emulator.testing.alovoice_support import (
    alovoice_account,
    expected_fragments,
    expected_tags,
    mount_alovoice,
)
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.testing.twin24_truth import message_rows
from call_emulator.twin24 import Twin24Account

if t.TYPE_CHECKING:
    from pathlib import Path

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
LONG_TEXT = "Длинная реплика клиента 😀 " * 2000  # 54,000 characters
BIG = 2**53 - 1
AIOKK_TOKEN = "aiokk-messages-token"


def _date_time(value: object) -> bool:
    """RFC 3339 with an offset, as the loaders read it (jsonschema checks none by itself here)."""
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


FORMATS = FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_date_time)


# The SDK's line for each sync of a stream, which the taps log only with this setting.
LOG_DETAILS = {"log_details": True}


def child_syncs(run: TapRun, stream: str) -> int:
    """How many times the SDK synced ``stream`` (a SCHEMA each, before the kit's writer); the
    run needs ``LOG_DETAILS``."""
    return run.stderr.count(f"Beginning sync of '{stream}'")


def check_messages(run: TapRun, streams: t.Collection[str]) -> Counter[str]:
    """One SCHEMA per stream, before its records; every RECORD valid. Returns rows per stream."""
    assert run.exit_code == 0, run.stderr[-3000:]
    schemas: Counter[str] = Counter()
    validators: dict[str, Draft7Validator] = {}
    rows: Counter[str] = Counter()
    invalid: list[str] = []
    for message in run.messages:
        stream = message.get("stream", "")
        if message["type"] == "SCHEMA":
            schemas[stream] += 1
            Draft7Validator.check_schema(message["schema"])
            validators[stream] = Draft7Validator(message["schema"], format_checker=FORMATS)
        elif message["type"] == "RECORD":
            assert stream in validators, f"a {stream} record before its SCHEMA"
            rows[stream] += 1
            for error in validators[stream].iter_errors(message["record"]):
                where = ".".join(map(str, error.absolute_path))
                invalid.append(f"{stream}.{where}: {error.message[:150]}")
    assert dict(schemas) == dict.fromkeys(streams, 1)
    assert invalid == [], f"{len(invalid)} invalid, e.g. {invalid[:5]}"
    assert set(rows) == set(streams), f"a stream came out empty: {rows}"
    return rows


# twin24 ---------------------------------------------------------------------------------


def _twin24_edges(seed_item: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Calls as twin24 may send them: fields null or empty, zeros, large numbers, long text."""
    nothing = copy.deepcopy(seed_item) | {
        "id": "00000000-0000-4000-8000-000000000001",
        "startedAt": None,
        "duration": None,
        "botDuration": None,
        "operatorDuration": None,
        "price": None,
        "regionId": None,
        "timezone": None,
        "transferredToOperator": None,
        "isFinished": None,
        "status": None,
        "responder": None,
        "dialogResults": None,
        "nps": None,
        "messagesAsString": None,
        "messages": None,
        "additional": None,
        "externalId": None,
        "recordPath": None,
    }
    edges = copy.deepcopy(seed_item) | {
        "id": "00000000-0000-4000-8000-000000000002",
        "duration": 0,
        "botDuration": BIG,
        "operatorDuration": 0,
        "price": "0",
        "timezone": -12,
        "regionId": 0,
        "phone": "",
        "externalId": '{"crm_id": 42, "name": "Анна"}',
        "additional": "",
        "messagesAsString": LONG_TEXT,
        "messages": [
            {"text": LONG_TEXT, "author": "user", "created_at": "2022-06-29T08:44:39Z"},
            {"text": "", "author": "robot", "created_at": "2022-06-29T08:44:40.123456Z"},
            {"text": None, "author": None, "created_at": None},
            {"text": '\\u0000 \t\n "кавычки" \' \\', "author": "robot", "created_at": None},
        ],
    }
    empty = copy.deepcopy(seed_item) | {
        "id": "00000000-0000-4000-8000-000000000003",
        "price": "12345678.99",
        "messages": [],
        "messagesAsString": "",
    }
    return [nothing, edges, empty]


def test_twin24_one_schema_per_stream_and_valid_records(emulator: Emulator, tmp_path: Path) -> None:
    seed = fixture_json("twin24_seed_calls.json")["items"]
    synthetic = list(Twin24Account(calls=1500, seed=3, tasks=4).truth().values())
    items = [*synthetic, *seed, *_twin24_edges(seed[0])]
    account = Twin24Account.from_items(items)
    config = mount_twin24(emulator, account) | {"page_size": 100} | LOG_DETAILS
    run = run_tap("tap_twin24", config, tmp_path)
    rows = check_messages(run, ("calls", "call_messages", "tasks"))
    truth = account.truth()
    assert len(truth) == len(items) > 1500
    assert rows["calls"] == len(truth)
    assert rows["call_messages"] == sum(len(message_rows(item)) for item in truth.values())
    assert rows["tasks"] == len(account.task_ids())
    assert child_syncs(run, "call_messages") > 15  # one per page


# aiokk ----------------------------------------------------------------------------------


def _aiokk_edges(seed: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Dialogs with analyses left empty, zero and large values, and long text."""
    empty = copy.deepcopy(seed)
    empty["call"] |= {"dialogId": 900001, "callerId": None, "durationSec": 0}
    empty["operator"] |= {"fullName": "", "intNum": None}
    empty["analytics"] |= {
        "price": None,
        "summary": None,
        "languages": [],
        "clientLoyalty": None,
        "evaluationCriteria": None,
        "signals": None,
    }
    large = copy.deepcopy(seed)
    large["call"] |= {"dialogId": 900002, "durationSec": BIG, "durationMin": 0}
    large["analytics"] |= {"price": 0, "summary": LONG_TEXT, "languages": ["ru", "kk", "en"]}
    return [empty, large]


def test_aiokk_one_schema_per_stream_and_valid_records(emulator: Emulator, tmp_path: Path) -> None:
    seed = fixture_json("aiokk_seed_dialogs.json")[0]
    synthetic = AiokkAccount(1300, seed=2, token=AIOKK_TOKEN).truth()
    dialogs = [*synthetic, seed, *_aiokk_edges(seed)]
    account = AiokkAccount.from_dialogs(dialogs, token=AIOKK_TOKEN)
    emulator.mount("/aiokk", account)
    config = {"api_url": emulator.url_for("/aiokk"), "token": AIOKK_TOKEN} | LOG_DETAILS
    run = run_tap("tap_aiokk", config, tmp_path)
    rows = check_messages(run, ("dialogs", "dialog_criteria", "dialog_signals"))
    served = list(account.truth())
    assert rows["dialogs"] == len(finished(served)) > 1000
    assert child_syncs(run, "dialog_criteria") >= 3  # one per 500 dialogs
    assert rows["dialog_criteria"] == len(criteria_keys(served))
    assert rows["dialog_signals"] == len(signal_keys(served))


# alovoice -------------------------------------------------------------------------------


def test_alovoice_one_schema_per_stream_and_valid_records(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = alovoice_account(40)
    calls = account.call_ids()
    account.failing = {calls[0]: "Audio file is empty", calls[1]: ""}
    seed = fixture_json("alovoice_seed_result.json")["answer"]
    account.given(calls[2], seed)
    bare = copy.deepcopy(seed) | {"stalk": [], "tags": [], "stereoaudio": None}
    account.given(calls[3], bare)
    odd = copy.deepcopy(seed)
    odd["stalk"][0] |= {"text": LONG_TEXT, "begin": 0, "end": BIG}
    odd["tags"][0] |= {"visible": True, "value": None}
    account.given(calls[4], odd)
    # calls[1] (an empty error) stays pending until max_wait; the rest are done in about a second.
    config = mount_alovoice(emulator, account) | LOG_DETAILS | {"max_wait": 5}
    run = run_tap("tap_alovoice", config, tmp_path)
    rows = check_messages(run, ("analyses", "fragments", "tags"))
    done = calls[2:]
    assert rows["analyses"] == len(calls)
    assert child_syncs(run, "fragments") == len(done)  # one per done call
    assert rows["fragments"] == sum(len(expected_fragments(c, account.truth(c))) for c in done)
    assert rows["tags"] == sum(len(expected_tags(c, account.truth(c))) for c in done)


def test_the_checks_fail_on_a_repeated_schema_or_a_record_off_it(tmp_path: Path) -> None:
    at = {"type": ["string", "null"], "format": "date-time"}
    schema = {"type": "object", "properties": {"at": at}}
    head: dict[str, t.Any] = {"type": "SCHEMA", "stream": "s", "schema": schema}
    good = {"type": "RECORD", "stream": "s", "record": {"at": "2025-01-01T10:00:00.0+00:00"}}
    bad = {"type": "RECORD", "stream": "s", "record": {"at": "2025-01-01 10:00"}}
    for messages in ([head, good, head], [head, good, bad], [good, head]):
        out = tmp_path / "stdout.jsonl"
        out.write_text("\n".join(json.dumps(m) for m in messages))
        with pytest.raises(AssertionError):
            check_messages(TapRun(0, out, tmp_path / "stderr.log", 0.0), ["s"])
    out.write_text("\n".join(json.dumps(m) for m in [head, good, good]))
    assert check_messages(TapRun(0, out, tmp_path / "stderr.log", 0.0), ["s"]) == {"s": 2}
