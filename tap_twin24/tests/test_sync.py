"""tap-twin24 against the emulator: complete, exact and incremental, whatever the API does."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import typing as t
from datetime import datetime, timedelta

import pytest

from call_emulator import Emulator, FaultPlan
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.testing.twin24_truth import by_id, call_record, message_rows
from call_emulator.twin24 import DEFAULT_START, Twin24Account

if t.TYPE_CHECKING:
    from pathlib import Path


def exported(account: Twin24Account, config: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """The calls records the tap must emit for ``config``'s range, built from the truth."""
    truth = account.truth(_at(config["start_date"]), _at(config.get("end_date")))
    return {call_id: call_record(item) for call_id, item in truth.items()}


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.slow  # minutes: 120,000 calls
def test_120000_calls_with_60000_in_one_hour_arrive_exactly(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=60_000, burst=60_000, seed=3)
    config = mount_twin24(emulator, account)
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    expected = exported(account, config)
    assert len(expected) == 120_000
    calls = by_id(run.records("calls"))
    assert calls == expected
    assert account.cap_hits == 0
    assert "splitting the period in two" in run.stderr
    messages = run.records("call_messages")
    served = account.truth(None, None)
    assert sorted(messages, key=_message_key) == sorted(
        (row for item in served.values() for row in message_rows(item)), key=_message_key
    )
    assert messages
    assert {task["id"] for task in run.records("tasks")} == set(account.task_ids())


def _message_key(row: dict[str, t.Any]) -> tuple[str, int]:
    return row["call_id"], row["position"]


def test_a_token_that_expires_mid_sync_is_renewed(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=12_000, seed=5)
    account.max_token_ttl = 1.0
    config = mount_twin24(emulator, account) | {"page_size": 100}
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert by_id(run.records("calls")) == exported(account, config)
    assert account.logins + account.refreshes >= 2, "the token was never renewed"


def test_an_incremental_rerun_emits_exactly_the_updated_calls(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=20_000, seed=7)
    config = mount_twin24(emulator, account)
    config.pop("end_date")
    first = run_tap("tap_twin24", config, tmp_path / "first")
    assert first.exit_code == 0, first.stderr[-3000:]
    assert len(first.records("calls")) == 20_000
    updated = account.update(0.01)
    assert len(updated) == 200
    second = run_tap("tap_twin24", config, tmp_path / "second", state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    calls = by_id(second.records("calls"))
    assert set(calls) == set(updated)
    assert calls == {call_id: call_record(account.call(call_id)) for call_id in updated}
    third = run_tap("tap_twin24", config, tmp_path / "third", state=second.final_state)
    assert third.exit_code == 0, third.stderr[-3000:]
    assert third.records("calls") == []


@pytest.mark.slow
def test_a_sync_killed_half_way_resumes_from_its_last_state(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=40_000, seed=11)
    config = mount_twin24(emulator, account)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    out_path = tmp_path / "killed.jsonl"
    command = [sys.executable, "-m", "tap_twin24", "--config", str(config_path)]
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.DEVNULL, cwd=tmp_path, env=clean_environ()
        )
        deadline = time.monotonic() + 120
        while _states(out_path) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
        process.wait()
    messages = [json.loads(line) for line in out_path.read_text().splitlines() if line.strip()]
    messages = messages[: max(i for i, m in enumerate(messages) if m["type"] == "STATE") + 1]
    killed = [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "calls"]
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    assert 0 < len(killed) < 40_000, "the kill came too late to test a resume"
    rerun = run_tap("tap_twin24", config, tmp_path / "rerun", state=state)
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    resumed = by_id(rerun.records("calls"))
    assert len(resumed) < 40_000, "the rerun started over instead of resuming"
    assert not set(by_id(killed)) & set(resumed), "the rerun sent calls the state covered"
    assert {**by_id(killed), **resumed} == exported(account, config)
    lines = {
        (m["record"]["call_id"], m["record"]["position"])
        for m in messages
        if m["type"] == "RECORD" and m["stream"] == "call_messages"
    } | {(row["call_id"], row["position"]) for row in rerun.records("call_messages")}
    served = account.truth(None, None).values()
    assert lines == {(r["call_id"], r["position"]) for i in served for r in message_rows(i)}


def test_transcripts_alone_are_incremental_too(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=3_000, seed=31)
    config = mount_twin24(emulator, account)
    config.pop("end_date")
    catalog = json.loads(run_tap("tap_twin24", config, tmp_path / "d", args=["--discover"]).stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "call_messages"
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    first = run_tap("tap_twin24", config, tmp_path / "1", args=["--catalog", str(catalog_path)])
    assert first.exit_code == 0, first.stderr[-3000:]
    assert first.records("calls") == []
    expected = [row for item in account.truth(None, None).values() for row in message_rows(item)]
    assert sorted(first.records("call_messages"), key=_message_key) == sorted(
        expected, key=_message_key
    )
    updated = account.update(0.01)
    second = run_tap(
        "tap_twin24",
        config,
        tmp_path / "2",
        state=first.final_state,
        args=["--catalog", str(catalog_path)],
    )
    assert second.exit_code == 0, second.stderr[-3000:]
    assert {row["call_id"] for row in second.records("call_messages")} <= set(updated)
    assert {row["call_id"] for row in second.records("call_messages")}


def _states(path: Path) -> int:
    return path.read_bytes().count(b'"type":"STATE"')


def test_20_percent_faults_lose_and_duplicate_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=8_000, seed=13)
    config = mount_twin24(emulator, account) | {"page_size": 200, "max_retries": 12}
    emulator.faults = FaultPlan(0.2, seed=2, slow_seconds=2.5)
    run = run_tap("tap_twin24", config, tmp_path)
    emulator.faults = None
    assert run.exit_code == 0, run.stderr[-3000:]
    assert by_id(run.records("calls")) == exported(account, config)
    assert emulator.faults_injected.total >= 5
    assert "Retry 1 of 12" in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("cap_mode", ["empty", "400"])
def test_both_ends_inclusive_and_either_cap_answer(
    emulator: Emulator, tmp_path: Path, cap_mode: str
) -> None:
    account = Twin24Account(calls=4_000, burst=51_000, seed=17)
    account.inclusive_to = True
    account.cap_mode = cap_mode
    config = mount_twin24(emulator, account) | {"page_size": 700}
    run = run_tap("tap_twin24", config, tmp_path, args=())
    assert run.exit_code == 0, run.stderr[-3000:]
    assert by_id(run.records("calls")) == exported(account, config)
    assert account.cap_hits == 0


def test_task_and_status_filters_keep_a_bookmark_each(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=5_000, seed=23)
    tasks = account.task_ids()[:2]
    config = mount_twin24(emulator, account) | {
        "task_ids": tasks,
        "statuses": ["ANSWERED", "BUSY"],
    }
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    expected = {
        call_id: record
        for call_id, record in exported(account, config).items()
        if record["taskId"] in tasks and record["status"] in ("ANSWERED", "BUSY")
    }
    assert by_id(run.records("calls")) == expected
    assert expected
    partitions = run.final_state["bookmarks"]["calls"]["partitions"]
    assert len(partitions) == 4
    assert all(p["replication_key_value"] for p in partitions)


def test_windows_shorter_than_the_range_change_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=3_000, seed=29)
    config = mount_twin24(emulator, account) | {"window_hours": 5, "page_size": 250}
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert by_id(run.records("calls")) == exported(account, config)
    start = datetime.fromisoformat(config["start_date"])
    assert len(account.truth(start, start + timedelta(hours=5))) < 3_000, "one window held all"


def test_calls_changing_during_the_sync_do_not_hide_unchanged_ones(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=6_000, seed=9)
    config = mount_twin24(emulator, account) | {"page_size": 100, "window_hours": 24 * 8}
    stop = threading.Event()

    def churn() -> None:  # a few calls change every 30 ms, leaving the window being read
        while not stop.wait(0.03):
            account.update(0.0005)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        run = run_tap("tap_twin24", config, tmp_path)
    finally:
        stop.set()
        churner.join()
    assert run.exit_code == 0, run.stderr[-3000:]
    unchanged = exported(account, config)  # still in the range: never updated
    calls = by_id(run.records("calls"))
    assert len(unchanged) > 5_000
    assert {call_id: calls.get(call_id) for call_id in unchanged} == unchanged
    assert "changed while it was read" in run.stderr


def test_a_long_quiet_gap_costs_a_few_requests(emulator: Emulator, tmp_path: Path) -> None:
    """A quiet year, a busy week, 500 quiet days, a busy hour: windows follow the data."""
    busy_hour = DEFAULT_START + timedelta(days=500)
    account = Twin24Account(calls=2_000, seed=37, burst=3_000, burst_hour=busy_hour)
    config = mount_twin24(emulator, account)
    config["start_date"] = (account.first_moment() - timedelta(days=365)).isoformat()
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    expected = exported(account, config)
    assert len(expected) == 5_000
    assert by_id(run.records("calls")) == expected
    days = (account.end_moment() - datetime.fromisoformat(config["start_date"])).days
    assert days > 860, "a window a day would take as many requests"
    assert account.requests.total <= 30
    lines = [line for line in run.stderr.splitlines() if "| tap-twin24.calls " in line]
    assert len(lines) <= 6, "\n".join(lines)
    assert "5000 calls in" in lines[-1] and f"{account.requests.total} requests" in lines[-1]
