"""Full and incremental aiokk syncs over real HTTP deliver exactly what the emulator holds."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import typing as t
from collections import Counter

import pytest

from call_emulator import ALL_FAULTS, AiokkAccount, Emulator, FaultPlan
from call_emulator.testing import aiokk_truth as truth
from call_emulator.testing.aiokk_support import (
    AIOKK_TOKEN,
    aiokk_account,
    dialog_with_id,
    mount_aiokk,
)
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path


def assert_delivers_exactly(run: TapRun, expected: t.Mapping[int, t.Mapping[str, t.Any]]) -> None:
    """Each expected dialog once, with every criterion and signal, and nothing else."""
    assert run.exit_code == 0, run.stderr[-3000:]
    assert expected, "a check on an empty account proves nothing"
    ids = [record["dialog_id"] for record in run.records("dialogs")]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert set(ids) == set(expected)
    for record in run.records("dialogs"):
        raw = expected[record["dialog_id"]]
        assert record["price"] == raw["analytics"]["price"]
        assert record["summary"] == raw["analytics"]["summary"]
        assert record["operator_name"] == raw["operator"]["fullName"]
        assert record["call_type"] == raw["call"]["callType"]
        assert record["markers"] == raw["analytics"]["markers"]
    criteria = {(r["dialog_id"], r["number"], r["mark"]) for r in run.records("dialog_criteria")}
    assert len(run.records("dialog_criteria")) == len(criteria)
    assert criteria == truth.criteria_keys(expected.values())
    signals = {(r["dialog_id"], r["position"], r["signal"]) for r in run.records("dialog_signals")}
    assert len(run.records("dialog_signals")) == len(signals)
    assert signals == truth.signal_keys(expected.values())
    assert AIOKK_TOKEN not in run.stdout + run.stderr


def test_overlapping_filters_deliver_each_dialog_once(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=300, seed=11)
    config = mount_aiokk(emulator, account)
    config["department_ids"] = account.department_ids()
    config["signal_words"] = account.signal_words()[:5]
    config["client_loyalty_grades"] = [1, 5, 10]

    run = run_tap("tap_aiokk", config, tmp_path)

    expected = truth.finished(account.truth())
    assert_delivers_exactly(run, expected)
    assert len(expected) < 300, "the account should hold unfinished analyses too"
    sent = emulator.request_log.total
    assert sent == 4 + len(config["department_ids"]) + 5 + 3


def test_twenty_percent_faults_lose_and_double_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=250, seed=5)
    account.escape_unicode = True
    config = mount_aiokk(emulator, account)
    config["operator_names"] = account.operator_names()
    config["department_ids"] = account.department_ids()
    emulator.faults = FaultPlan(rate=0.2, seed=20, retry_after=1, slow_seconds=1.5)

    run = run_tap("tap_aiokk", config, tmp_path)

    assert_delivers_exactly(run, truth.finished(account.truth()))
    injected = emulator.faults_injected
    assert injected.total >= 3, injected
    assert "Retry 1 of 10" in run.stderr


@pytest.mark.parametrize("kind", ALL_FAULTS)
def test_each_fault_kind_is_survived(emulator: Emulator, tmp_path: Path, kind: str) -> None:
    account = aiokk_account(dialogs=60, seed=3)
    config = mount_aiokk(emulator, account)
    emulator.faults = FaultPlan(rate=0.5, kinds=(kind,), seed=1, retry_after=1, slow_seconds=1.5)

    run = run_tap("tap_aiokk", config, tmp_path)

    assert_delivers_exactly(run, truth.finished(account.truth()))
    assert emulator.faults_injected[kind] >= 1


def test_second_sync_emits_only_what_changed(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=200, seed=8, unfinished_share=0.2)
    config = mount_aiokk(emulator, account)
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    assert_delivers_exactly(first, truth.finished(account.truth()))

    finished_now = account.finish_pending(7)
    reanalysed = sorted(account.finished_ids())[:3]
    account.reanalyse(reanalysed)
    second = run_tap("tap_aiokk", config, tmp_path / "second", state=first.final_state)

    changed = set(finished_now) | set(reanalysed)
    assert len(changed) == 10
    assert_delivers_exactly(
        second, {i: raw for i, raw in truth.finished(account.truth()).items() if i in changed}
    )
    third = run_tap("tap_aiokk", config, tmp_path / "third", state=second.final_state)
    assert third.exit_code == 0
    assert third.records("dialogs") == []
    assert (
        third.final_state["bookmarks"]["dialogs"]["replication_key_value"]
        == (second.final_state["bookmarks"]["dialogs"]["replication_key_value"])
    )


def test_dialog_finishing_in_the_bookmarks_second_is_not_lost(
    emulator: Emulator, tmp_path: Path
) -> None:
    source = aiokk_account(dialogs=3, seed=2, unfinished_share=0)
    seed_dialog = source.dialog(source.finished_ids()[0])
    first_done, second_done, pending = (dialog_with_id(seed_dialog, n) for n in (1, 2, 3))
    pending["analytics"]["finishDate"] = None
    account = AiokkAccount.from_dialogs([first_done, second_done, pending], token=AIOKK_TOKEN)
    config = mount_aiokk(emulator, account)
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    assert sorted(r["dialog_id"] for r in first.records("dialogs")) == [1, 2]

    pending["analytics"]["finishDate"] = first_done["analytics"]["finishDate"]
    mount_aiokk(
        emulator, AiokkAccount.from_dialogs([first_done, second_done, pending], token=AIOKK_TOKEN)
    )
    second = run_tap("tap_aiokk", config, tmp_path / "second", state=first.final_state)

    assert [r["dialog_id"] for r in second.records("dialogs")] == [3]
    third = run_tap("tap_aiokk", config, tmp_path / "third", state=second.final_state)
    assert third.records("dialogs") == []


def test_dialog_finishing_during_a_sync_is_caught_by_the_next(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Y, finished late, sets the bookmark while X (still running) and Z (not yet there) are
    missing from the answers; both then finish a second *before* Y. Neither may be lost."""
    source = aiokk_account(dialogs=3, seed=2, unfinished_share=0)
    template = source.dialog(source.finished_ids()[0])
    x, y, z = (dialog_with_id(template, n) for n in (1, 2, 3))
    x["analytics"]["finishDate"] = None
    y["analytics"]["finishDate"] = "2025-05-01T12:00:01"
    config = mount_aiokk(emulator, AiokkAccount.from_dialogs([x, y], token=AIOKK_TOKEN))
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    assert [r["dialog_id"] for r in first.records("dialogs")] == [2]

    x["analytics"]["finishDate"] = z["analytics"]["finishDate"] = "2025-05-01T12:00:00"
    mount_aiokk(emulator, AiokkAccount.from_dialogs([x, y, z], token=AIOKK_TOKEN))
    second = run_tap("tap_aiokk", config, tmp_path / "second", state=first.final_state)

    assert sorted(r["dialog_id"] for r in second.records("dialogs")) == [1, 3]
    assert {r["dialog_id"] for r in second.records("dialog_criteria")} == {1, 3}
    third = run_tap("tap_aiokk", config, tmp_path / "third", state=second.final_state)
    assert third.records("dialogs") == []


@pytest.mark.parametrize("keep", ["dialog_id != {last}", "dialog_id == {last}"])
def test_stream_map_filter_keeps_children_in_step(
    emulator: Emulator, tmp_path: Path, keep: str
) -> None:
    account = aiokk_account(dialogs=40, seed=6)
    config = mount_aiokk(emulator, account)
    finished = truth.finished(account.truth())
    last = max(finished)
    config["stream_maps"] = {"dialogs": {"__filter__": keep.format(last=last)}}

    run = run_tap("tap_aiokk", config, tmp_path)

    kept = {i: raw for i, raw in finished.items() if (i != last) == keep.startswith("dialog_id !=")}
    assert run.exit_code == 0, run.stderr[-2000:]
    assert {r["dialog_id"] for r in run.records("dialogs")} == set(kept)
    criteria = {(r["dialog_id"], r["number"], r["mark"]) for r in run.records("dialog_criteria")}
    assert criteria == truth.criteria_keys(kept.values())


def test_child_stream_alone_is_incremental_too(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=60, seed=12, unfinished_share=0.2)
    config = mount_aiokk(emulator, account)
    catalog = _catalog_selecting(config, tmp_path, {"dialog_criteria"})
    args = ["--catalog", str(catalog)]
    first = run_tap("tap_aiokk", config, tmp_path / "first", args=args)
    assert first.records("dialogs") == []
    criteria = {(r["dialog_id"], r["number"], r["mark"]) for r in first.records("dialog_criteria")}
    assert criteria == truth.criteria_keys(truth.finished(account.truth()).values())

    finished_now = set(account.finish_pending(4))
    second = run_tap("tap_aiokk", config, tmp_path / "second", state=first.final_state, args=args)

    assert {r["dialog_id"] for r in second.records("dialog_criteria")} <= finished_now
    expected = [raw for i, raw in truth.finished(account.truth()).items() if i in finished_now]
    assert {
        (r["dialog_id"], r["number"], r["mark"]) for r in second.records("dialog_criteria")
    } == truth.criteria_keys(expected)


def _catalog_selecting(config: dict[str, t.Any], workdir: Path, streams: set[str]) -> Path:
    config_path = workdir / "discover-config.json"
    config_path.write_text(json.dumps(config))
    catalog = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tap_aiokk", "--config", str(config_path), "--discover"],
            capture_output=True,
            check=True,
            cwd=workdir,
            env=clean_environ(),
        ).stdout
    )
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    path = workdir / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def test_bookmark_moved_back_by_hand_re_exports_from_there(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = aiokk_account(dialogs=80, seed=13)
    config = mount_aiokk(emulator, account)
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    state = copy.deepcopy(first.final_state)
    finished = truth.finished(account.truth())
    cut = sorted(r["finished_at"] for r in first.records("dialogs"))[len(finished) // 2]
    state["bookmarks"]["dialogs"]["replication_key_value"] = "2000-01-01T00:00:00+00:00"

    everything = run_tap("tap_aiokk", config, tmp_path / "reset", state=state)
    assert_delivers_exactly(everything, finished)

    config["start_date"] = cut
    later = run_tap("tap_aiokk", config, tmp_path / "later", state=state)
    assert_delivers_exactly(
        later, {i: raw for i, raw in finished.items() if _finished_at(first, i) >= cut}
    )
    assert 0 < len(later.records("dialogs")) < len(finished)


def _finished_at(run: TapRun, dialog_id: int) -> str:
    return str(
        next(r["finished_at"] for r in run.records("dialogs") if r["dialog_id"] == dialog_id)
    )


def _dialogs(*finish_dates: str | None) -> list[dict[str, t.Any]]:
    """Copies of one synthetic dialog, ids 1..n, with the given naive local finishDates."""
    source = aiokk_account(dialogs=3, seed=2, unfinished_share=0)
    template = source.dialog(source.finished_ids()[0])
    dialogs = [dialog_with_id(template, n) for n in range(1, len(finish_dates) + 1)]
    for dialog, finish in zip(dialogs, finish_dates, strict=True):
        dialog["analytics"]["finishDate"] = finish
    return dialogs


def _sync(
    emulator: Emulator, workdir: Path, dialogs: list[dict[str, t.Any]], **kw: t.Any
) -> TapRun:
    config = mount_aiokk(emulator, AiokkAccount.from_dialogs(dialogs, token=AIOKK_TOKEN))
    config.update(kw.pop("config", {}))
    run = run_tap("tap_aiokk", config, workdir, **kw)
    assert run.exit_code == 0, run.stderr[-2000:]
    return run


def _ids(run: TapRun) -> list[int]:
    return sorted(r["dialog_id"] for r in run.records("dialogs"))


def test_start_date_is_a_hard_floor(emulator: Emulator, tmp_path: Path) -> None:
    # +05 local: 11:10 and 11:50 are 06:10Z and 06:50Z, 12:30 is 07:30Z.
    dialogs = _dialogs("2025-05-01T11:10:00", "2025-05-01T11:50:00", "2025-05-01T12:30:00")
    start = {"start_date": "2025-05-01T07:00:00Z"}
    first = _sync(emulator, tmp_path / "first", dialogs, config=start)
    assert _ids(first) == [3]

    earlier = _sync(emulator, tmp_path / "none", dialogs)
    later = _sync(
        emulator,
        tmp_path / "later",
        dialogs,
        state=earlier.final_state,
        config={"start_date": "2025-05-01T06:55:00Z"},
    )
    assert _ids(earlier) == [1, 2, 3]
    assert _ids(later) == []


def test_new_dialog_with_an_old_finish_time_is_not_lost(emulator: Emulator, tmp_path: Path) -> None:
    """Whatever finishDate means exactly, a dialog never seen before, or seen still pending,
    is new, even when its finish time lies far behind the bookmark."""
    first = _sync(emulator, tmp_path / "first", _dialogs("2025-05-01T12:00:00", None))
    assert _ids(first) == [1]

    old = "2025-04-01T09:00:00"
    second = _sync(
        emulator,
        tmp_path / "second",
        _dialogs("2025-05-01T12:00:00", old, old),
        state=first.final_state,
    )
    assert _ids(second) == [2, 3]
    third = _sync(
        emulator,
        tmp_path / "third",
        _dialogs("2025-05-01T12:00:00", old, old),
        state=second.final_state,
    )
    assert _ids(third) == []


def test_finish_time_in_the_future_does_not_hold_back_others(
    emulator: Emulator, tmp_path: Path
) -> None:
    first = _sync(
        emulator, tmp_path / "first", _dialogs("2025-05-01T12:00:00", "2035-01-01T00:00:00")
    )
    assert _ids(first) == [1, 2]
    assert "Dialog 2 finished in the future" in first.stderr

    dialogs = _dialogs("2025-05-01T12:00:00", "2035-01-01T00:00:00", "2025-05-02T12:00:00")
    second = _sync(emulator, tmp_path / "second", dialogs, state=first.final_state)
    assert _ids(second) == [2, 3]


def test_stream_selected_again_resumes_without_repeats(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=60, seed=21, unfinished_share=0.2)
    config = mount_aiokk(emulator, account)
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    account.finish_pending(3)
    criteria_only = ["--catalog", str(_catalog_selecting(config, tmp_path, {"dialog_criteria"}))]
    second = run_tap(
        "tap_aiokk", config, tmp_path / "second", state=first.final_state, args=criteria_only
    )
    assert second.records("dialog_criteria")

    third = run_tap("tap_aiokk", config, tmp_path / "third", state=second.final_state)

    assert third.exit_code == 0
    assert third.records("dialogs") == []
    assert third.records("dialog_criteria") == []
