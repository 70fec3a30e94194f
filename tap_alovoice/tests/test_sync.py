"""tap-alovoice over real HTTP: every result delivered exactly, every call billed once."""

from __future__ import annotations

import typing as t

import pytest

from call_emulator import Emulator, FaultPlan
from call_emulator.alovoice import CALL_NOT_FOUND, AlovoiceAccount
from call_emulator.testing.alovoice_support import (
    alovoice_account,
    assert_delivers,
    assert_no_token,
    mount_alovoice,
    submitted_once,
)
from call_emulator.testing.taprun import TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

# Faults after which a submission may or may not have reached alovoice (or may still do so).
AMBIGUOUS = ("drop", "truncate", "truncate_framed", "stall", "slow")


def test_three_hundred_calls_are_delivered_and_billed_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Analyses of 3 s: longer than submitting all 300 takes, so that the first result queries,
    # made before the run has seen an analysis finish, find them still pending.
    account = alovoice_account(300, delay_seconds=3.0, seed=3)
    config = mount_alovoice(emulator, account)
    config.update(poll_interval_ms=600, poll_interval_max_ms=1000)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_delivers(run, account, account.call_ids())
    assert submitted_once(account, account.call_ids())
    assert [r["status"] for r in run.records("analyses")] == ["done"] * 300
    queries = account.requests["callgetairesult"]
    assert queries > 2 * 300, "some results must have been polled while still pending"
    assert account.requests["other"] == 0
    state = run.final_state["bookmarks"]["analyses"]
    assert sorted(state["done_call_ids"]) == sorted(account.call_ids())
    assert state["pending_call_ids"] == {}
    # Each STATE repeats every settled id: one per checkpoint (every 50 calls here) and the
    # SDK's last ones (the stream and its two children), not one per call and child stream.
    assert len(run.states) <= 300 // 50 + 3, len(run.states)
    for child in ("fragments", "tags"):  # their bookmarks still end the run, finalised
        bookmark = run.final_state["bookmarks"][child]
        assert "progress_markers" not in bookmark
        assert bookmark["replication_key_value"] <= state["replication_key_value"]


def faulty_run_then_clean_run(
    emulator: Emulator, account: AlovoiceAccount, config: dict[str, t.Any], tmp_path: Path
) -> TapRun:
    """A run under the emulator's faults, then one without, from the first one's state.

    A submission whose answer was lost may or may not have arrived: the first run never sends
    it again, and leaves it to the second, which asks alovoice first.
    """
    first = run_tap("tap_alovoice", config, tmp_path / "first")
    first_done = {r["call_id"] for r in first.records("analyses") if r["status"] == "done"}
    assert_delivers(first, account, first_done)
    assert submitted_once(account, account.submitted())
    last = first
    rest = set(account.call_ids()) - first_done
    if rest:  # else every doubt was cleared in the run itself
        emulator.faults = None
        last = run_tap("tap_alovoice", config, tmp_path / "second", state=first.final_state)
        assert_delivers(last, account, rest)
    assert submitted_once(account, account.call_ids())
    saved = last.final_state["bookmarks"]["analyses"]
    assert sorted(saved["done_call_ids"]) == sorted(account.call_ids())
    assert saved["pending_call_ids"] == saved["unconfirmed_call_ids"] == {}
    return first


def test_twenty_percent_faults_lose_and_double_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(60, delay_seconds=0.5, seed=5)
    config = mount_alovoice(emulator, account)
    config["request_timeout"] = 1
    emulator.faults = FaultPlan(0.2, seed=21, retry_after=1, slow_seconds=1.5)

    first = faulty_run_then_clean_run(emulator, account, config, tmp_path)

    injected = emulator.faults_injected.snapshot()
    assert sum(injected.values()) >= 20, injected
    assert "Retry 1 of 10" in first.stderr
    done_first = [r for r in first.records("analyses") if r["status"] == "done"]
    assert len(done_first) >= 40, "most calls come in despite the faults"
    assert first.final_state["bookmarks"]["analyses"]["unconfirmed_call_ids"] == {}, (
        "a 5xx or a dropped connection on a submission is settled within the run"
    )


def test_faults_that_may_hide_a_submission_never_bill_twice(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A dropped, cut, stalled or late answer leaves open whether a submission arrived."""
    account = alovoice_account(10, delay_seconds=0.2, seed=6)
    config = mount_alovoice(emulator, account)
    config["request_timeout"] = 1
    emulator.faults = FaultPlan(0.35, kinds=AMBIGUOUS, seed=18, retry_after=1, slow_seconds=1.5)

    first = faulty_run_then_clean_run(emulator, account, config, tmp_path)

    injected = emulator.faults_injected.snapshot()
    assert all(injected.get(kind) for kind in AMBIGUOUS), injected
    assert "alovoice may have received it, so its result is asked for" in first.stderr


def test_a_submission_answered_504_is_settled_in_the_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A proxy's 504 on a submission says nothing about whether alovoice got it: the tap asks.

    Registered soon after the 504, or later but within request_timeout of it: collected, never
    submitted again. Never registered: submitted again once request_timeout has passed.
    """
    account = alovoice_account(6, delay_seconds=0.2, seed=4)
    ids = account.call_ids()
    account.gateway_timeouts = {ids[0]: 0.3, ids[1]: 0.3, ids[2]: 0.8, ids[3]: None}
    config = mount_alovoice(emulator, account)
    config["request_timeout"] = 1

    first = run_tap("tap_alovoice", config, tmp_path / "first")

    assert_delivers(first, account, ids)
    assert account.requests["callsendai"] == 7, "only the call alovoice never got is sent again"
    assert submitted_once(account, ids)
    saved = first.final_state["bookmarks"]["analyses"]
    assert sorted(saved["done_call_ids"]) == sorted(ids)
    assert saved["pending_call_ids"] == saved["unconfirmed_call_ids"] == {}
    assert first.stderr.count("HTTP 504 Gateway Timeout; alovoice may have received it") == 4
    assert first.stderr.count("submitting it again") == 1


@pytest.mark.parametrize("mode", ["404", "200"])
def test_unknown_calls_are_failed_rows_and_the_rest_goes_on(
    emulator: Emulator, tmp_path: Path, mode: t.Literal["404", "200"]
) -> None:
    account = alovoice_account(15, seed=7)
    account.unknown_mode = mode
    unknown = ["no-such-call-1", "no-such-call-2"]
    config = mount_alovoice(emulator, account)
    config["call_ids"] = [*unknown[:1], *account.call_ids(), *unknown[1:]]

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_delivers(run, account, account.call_ids())
    failed = {r["call_id"]: r for r in run.records("analyses") if r["status"] == "failed"}
    assert sorted(failed) == unknown
    assert {r["error"] for r in failed.values()} == {CALL_NOT_FOUND}
    assert all(r["fragment_count"] is None and r["aicallid"] is None for r in failed.values())
    assert submitted_once(account, account.call_ids())
    assert sorted(run.final_state["bookmarks"]["analyses"]["failed_call_ids"]) == unknown
    assert run.stderr.count(f"{CALL_NOT_FOUND}; recorded as failed") == 2


@pytest.mark.parametrize("style", ["answer", "body"])
def test_failed_analyses_are_failed_rows_with_alovoice_text(
    emulator: Emulator, tmp_path: Path, style: t.Literal["answer", "body"]
) -> None:
    account = alovoice_account(10, seed=8)
    failing = account.call_ids()[::4]
    account.failing = {call_id: f"Audio file is empty ({call_id})" for call_id in failing}
    account.failure_style = style
    config = mount_alovoice(emulator, account)

    run = run_tap("tap_alovoice", config, tmp_path)

    good = [i for i in account.call_ids() if i not in failing]
    assert_delivers(run, account, good)
    failed = {r["call_id"]: r for r in run.records("analyses") if r["status"] == "failed"}
    assert sorted(failed) == sorted(failing)
    for call_id, row in failed.items():
        assert row["error"] == account.failing[call_id]
        # The acknowledgement of the submission is kept, whichever way the failure came.
        assert row["aicallid"] == account.truth(call_id)["aicallid"]
    assert submitted_once(account, account.call_ids())


def test_submit_false_collects_only_calls_submitted_elsewhere(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = alovoice_account(12, seed=9)
    elsewhere = account.call_ids()[::2]
    account.presubmit(elsewhere)
    config = mount_alovoice(emulator, account)
    config["submit"] = False

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_delivers(run, account, elsewhere)
    assert [r["status"] for r in run.records("analyses")] == ["done"] * len(elsewhere)
    assert account.requests["callsendai"] == 0
    assert sorted(account.submitted()) == sorted(elsewhere)
    assert run.stderr.count("submit is false, so it is left alone") == 12 - len(elsewhere)
    state = run.final_state["bookmarks"]["analyses"]
    assert sorted(state["done_call_ids"]) == sorted(elsewhere)
    assert state["failed_call_ids"] == []


def test_processing_status_while_pending_is_understood(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(10, delay_seconds=0.4, seed=10)
    account.pending_style = "processing"
    config = mount_alovoice(emulator, account)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_delivers(run, account, account.call_ids())
    assert account.requests["callgetairesult"] > 2 * 10


def test_call_ids_file_and_list_are_merged_in_order(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(8, seed=11)
    ids = account.call_ids()
    listing = tmp_path / "calls.txt"
    listing.write_text(
        f"# exported from the PBX\n{ids[2]}\n\n  {ids[3]}  \n{ids[0]}\n#{ids[7]}\n{ids[4]}\n",
        encoding="utf-8",
    )
    config = mount_alovoice(emulator, account)
    config.update(call_ids=[ids[0], ids[1]], call_ids_file=str(listing))

    run = run_tap("tap_alovoice", config, tmp_path / "run")

    expected = [ids[0], ids[1], ids[2], ids[3], ids[4]]
    assert_delivers(run, account, expected)
    assert sorted(account.submitted()) == sorted(expected)
    assert "5 calls configured" in run.stderr
    assert_no_token(run)
