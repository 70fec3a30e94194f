"""Runs that end early hand over to the next through the state: nothing lost or billed twice."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import typing as t
from collections import Counter

from call_emulator import Emulator, Request, Response
from call_emulator.testing.alovoice_support import (
    PREFIX,
    alovoice_account,
    assert_delivers,
    assert_no_token,
    mount_alovoice,
    submitted_once,
)
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import run_tap

if t.TYPE_CHECKING:
    from pathlib import Path


def done_ids(rows: t.Iterable[t.Mapping[str, t.Any]]) -> list[str]:
    return [row["call_id"] for row in rows if row["status"] == "done"]


def test_calls_pending_at_max_wait_are_collected_by_the_next_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = alovoice_account(30, delay_seconds=3, seed=12)
    earlier = account.call_ids()[:6]
    account.presubmit(earlier, seconds_ago=10)
    config = mount_alovoice(emulator, account)
    config["max_wait"] = 1

    first = run_tap("tap_alovoice", config, tmp_path / "first")

    later = account.call_ids()[6:]
    assert_delivers(first, account, earlier)
    pending = {r["call_id"]: r for r in first.records("analyses") if r["status"] == "pending"}
    assert sorted(pending) == sorted(later)
    for call_id, row in pending.items():
        assert row["aicallid"] == account.truth(call_id)["aicallid"]
        assert row["fragment_count"] is None
    saved = first.final_state["bookmarks"]["analyses"]
    assert sorted(saved["pending_call_ids"]) == sorted(later)
    assert sorted(saved["done_call_ids"]) == sorted(earlier)
    assert submitted_once(account, account.call_ids())
    submissions = account.requests["callsendai"]

    config["max_wait"] = 30
    second = run_tap("tap_alovoice", config, tmp_path / "second", state=first.final_state)

    assert_delivers(second, account, later)
    assert [r["status"] for r in second.records("analyses")] == ["done"] * len(later)
    assert account.requests["callsendai"] == submissions, "pending calls are not submitted again"
    assert submitted_once(account, account.call_ids())
    saved = second.final_state["bookmarks"]["analyses"]
    assert sorted(saved["done_call_ids"]) == sorted(account.call_ids())
    assert saved["pending_call_ids"] == {}

    requests = account.requests.total
    third = run_tap("tap_alovoice", config, tmp_path / "third", state=second.final_state)

    assert third.exit_code == 0, third.stderr[-2000:]
    assert third.records("analyses") == []
    assert account.requests.total == requests + 1, "only the token check: settled calls are not"
    assert account.requests["callsendai"] == submissions
    assert third.final_state == second.final_state


def test_pending_calls_dropped_from_the_list_are_still_collected(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A daily call list moves on; a call submitted yesterday must still be collected."""
    account = alovoice_account(10, delay_seconds=0.5, seed=13)
    yesterday, today = account.call_ids()[:5], account.call_ids()[5:]
    config = mount_alovoice(emulator, account)
    config.update(call_ids=yesterday, max_wait=0)
    first = run_tap("tap_alovoice", config, tmp_path / "first")
    assert sorted(first.final_state["bookmarks"]["analyses"]["pending_call_ids"]) == yesterday

    time.sleep(0.5)
    config.update(call_ids=today, max_wait=30)
    second = run_tap("tap_alovoice", config, tmp_path / "second", state=first.final_state)

    assert_delivers(second, account, account.call_ids())
    assert submitted_once(account, account.call_ids())
    saved = second.final_state["bookmarks"]["analyses"]
    assert sorted(saved["done_call_ids"]) == sorted(today), "only listed calls are remembered"
    assert saved["pending_call_ids"] == {}


def test_a_run_killed_half_way_loses_and_bills_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(150, delay_seconds=0.5, seed=14)
    config = mount_alovoice(emulator, account)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_alovoice", "--config", str(config_path)]
    messages, analyses = [], 0
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=clean_environ(),
    ) as killed:
        assert killed.stdout is not None
        for line in killed.stdout:
            message = json.loads(line)
            messages.append(message)
            if message["type"] == "RECORD" and message["stream"] == "analyses":
                analyses += 1
                if analyses == 80:
                    killed.kill()
                    break
        killed.wait(timeout=10)
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert "".join(json.dumps(m) for m in messages).count("canary-alovoice-token") == 0
    last_state = states[-1] if states else None
    settled = (last_state or {}).get("bookmarks", {}).get("analyses", {}).get("done_call_ids", [])
    assert settled, "a run this long writes its state on the way"
    first_done = done_ids(
        m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "analyses"
    )
    assert set(settled) <= set(first_done)

    rerun = run_tap("tap_alovoice", config, tmp_path / "rerun", state=last_state)

    assert_delivers(rerun, account, set(account.call_ids()) - set(settled))
    assert set(first_done) | set(done_ids(rerun.records("analyses"))) == set(account.call_ids())
    assert submitted_once(account, account.call_ids())
    assert_no_token(rerun)


ACKNOWLEDGED = {"answer": {"begin_time": 1716209468, "aicallid": "664b47", "stereoaudio": "/s"}}


class NeverDone:
    """Every call was submitted long ago and is never finished; one result query is slow: the
    second the run makes about the slow call, after the token check (which asks about the first
    call) and its first."""

    def __init__(self, slow_call: str, seconds: float) -> None:
        self.slow_call, self.seconds = slow_call, seconds
        self.queries: Counter[str] = Counter()

    def handle(self, request: Request) -> Response:
        call_id = request.path.rstrip("/").split("/")[-1]
        self.queries[call_id] += 1
        if call_id == self.slow_call and self.queries[call_id] == 3:
            time.sleep(self.seconds)
        return Response.json(ACKNOWLEDGED)


def test_no_busy_wait_for_a_request_in_flight_after_max_wait(
    emulator: Emulator, tmp_path: Path
) -> None:
    """max_wait passes while a slow result query is in flight: the run waits for it, idle."""
    # 4 s in flight: well above the CPU a tap spends starting and ending (about 2 s here).
    vendor = NeverDone("slow", seconds=4.0)
    config = mount_alovoice(emulator, alovoice_account(1))
    emulator.mount(PREFIX, vendor)
    config.update(call_ids=["slow", "fast"], max_wait=1, poll_interval_ms=100, request_timeout=30)

    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    run = run_tap("tap_alovoice", config, tmp_path)
    wall, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)

    assert run.exit_code == 0, run.stderr[-3000:]
    assert sorted((r["call_id"], r["status"]) for r in run.records("analyses")) == [
        ("fast", "pending"),
        ("slow", "pending"),
    ]
    assert sorted(run.final_state["bookmarks"]["analyses"]["pending_call_ids"]) == ["fast", "slow"]
    assert vendor.queries["slow"] == 3, "the token check, then two result queries"
    assert wall >= 4.0, "the slow query was still in flight when max_wait passed"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 0.5 * wall, f"{cpu:.1f} s of CPU in {wall:.1f} s: a busy wait"
