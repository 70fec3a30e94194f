"""The example answer of twin24's documentation, exported end to end."""

from __future__ import annotations

import typing as t

from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

SEED = fixture_json("twin24_seed_calls.json")


def test_the_seed_answer_becomes_exact_records(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_twin24(emulator, Twin24Account.from_items(SEED)) | {
        "start_date": "2022-06-29T00:00:00Z",
        "end_date": "2022-06-30T00:00:00Z",
    }
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    calls = {call["id"]: call for call in run.records("calls")}
    assert len(calls) == SEED["count"] == 2
    first = calls["99c5b0fe-fa95-40e8-8a47-f90774c336cd"]
    assert first["updatedAt"] == "2022-06-29T08:45:01.000000+00:00"
    assert first["createdAt"] == "2022-06-29T05:44:14.000000+00:00"
    assert first["startedAt"] == "2022-06-29T08:44:26.000000+00:00"
    assert first["price"] == 1.79
    assert first["duration"] == 18
    assert first["status"] == "ANSWERED"
    assert first["transferredToOperator"] is False
    assert first["externalId"] is None
    assert first["regionId"] == 5026
    assert first["taskName"] == "29.6.2022 тестирование метода создания задания на обзвон"
    for item in SEED["items"]:
        record = calls[item["id"]]
        unchanged = set(item) - {"messages", "price", "createdAt", "updatedAt", "startedAt"}
        assert {name: record[name] for name in unchanged} == {n: item[n] for n in unchanged}
    lines = sorted(run.records("call_messages"), key=lambda r: (r["call_id"], r["position"]))
    assert len(lines) == 4
    assert lines[1] == {
        "call_id": "99c5b0fe-fa95-40e8-8a47-f90774c336cd",
        "position": 1,
        "author": "robot",
        "text": "Ало! Здравствуйте, меня хорошо слышно?",
        "created_at": "2022-06-29T08:44:39.000000+00:00",
        "call_updated_at": "2022-06-29T08:45:01.000000+00:00",
    }
    assert [line["author"] for line in lines[1:]] == ["robot", "user", "robot"]
    assert lines[0]["call_id"] == "819206ed-2391-4e8d-b8c3-8ec6ebf08f20"
    state = run.final_state["bookmarks"]["calls"]
    assert state["replication_key_value"] == "2022-06-29T08:45:01.000000+00:00"
    assert state["ids_at_bookmark"] == ["99c5b0fe-fa95-40e8-8a47-f90774c336cd"]
