"""The ledger: what a run's outcomes put into the state, and what the next run reads back.

States written by earlier versions of the tap must still load: a run after an upgrade that
read none of the pending calls would submit them again, and alovoice bills each submission.
"""

from __future__ import annotations

import typing as t
from decimal import Decimal

import pytest

from tap_alovoice.ledger import KEYS, CallLedger
from tap_alovoice.lifecycle import CallState
from tap_alovoice.pipeline import Outcome

SINCE = "2026-05-20T12:00:00+00:00"
LATER = "2026-05-20T12:05:00+00:00"

# bookmarks.analyses as each earlier version wrote it.
FIRST_RELEASE = {  # settled and pending calls only
    "done_call_ids": ["a", "b"],
    "failed_call_ids": ["c"],
    "pending_call_ids": {"p": SINCE},
}
WITH_UNCONFIRMED = {**FIRST_RELEASE, "unconfirmed_call_ids": {"u": SINCE}}
WITH_DURATION = {**WITH_UNCONFIRMED, "analysis_ms": 12500}
# As the SDK hands a state to the tap: its numbers as Decimal; Meltano adds the SDK's keys.
AS_THE_SDK_READS_IT = {
    **WITH_DURATION,
    "analysis_ms": Decimal(12500),
    "replication_key": "collected_at",
    "replication_key_value": "2026-05-20T12:05:00.000+00:00",
}


def ledger_of(outcomes: t.Iterable[Outcome], start: CallLedger | None = None) -> CallLedger:
    ledger = start or CallLedger()
    for outcome in outcomes:
        ledger.record(outcome)
    return ledger


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(FIRST_RELEASE, id="first-release"),
        pytest.param(WITH_UNCONFIRMED, id="with-unconfirmed"),
        pytest.param(WITH_DURATION, id="with-analysis-ms"),
        pytest.param(AS_THE_SDK_READS_IT, id="decimal-and-sdk-keys"),
    ],
)
def test_a_state_written_by_an_earlier_version_loads(state: dict[str, t.Any]) -> None:
    ledger = CallLedger.from_state(state)
    assert ledger.done == {"a", "b"}
    assert ledger.failed == {"c"}
    assert ledger.pending == {"p": SINCE}, "a pending call is polled, never submitted again"
    assert ledger.unconfirmed == state.get("unconfirmed_call_ids", {})
    expected_seconds = 12.5 if "analysis_ms" in state else None
    assert ledger.analysis_seconds == expected_seconds


def test_the_first_release_state_resumes_the_calls_it_left_open() -> None:
    ledger = CallLedger.from_state(FIRST_RELEASE)
    assert ledger.to_collect(["a", "b", "c", "d", "p"]) == ["d", "p"]


def test_an_empty_state_collects_every_configured_call() -> None:
    assert CallLedger.from_state({}).to_collect(["x", "y"]) == ["x", "y"]


def test_open_calls_no_longer_configured_are_collected_after_the_configured_ones() -> None:
    ledger = CallLedger.from_state(WITH_UNCONFIRMED)
    assert ledger.to_collect(["z"]) == ["z", "p", "u"]


def test_the_state_keeps_settled_calls_still_configured_and_every_open_call() -> None:
    ledger = CallLedger.from_state(WITH_UNCONFIRMED)
    state = ledger.state(["a", "p"])
    assert state == {
        "done_call_ids": ["a"],  # b is settled but no longer listed: forgotten
        "failed_call_ids": [],  # c too
        "pending_call_ids": {"p": SINCE},
        "unconfirmed_call_ids": {"u": SINCE},  # open: kept though not listed
    }


def test_open_calls_are_kept_when_no_longer_configured() -> None:
    """A pending or unconfirmed call was submitted and may be billed: dropping it from the
    list of calls does not drop its result."""
    state = CallLedger.from_state(WITH_UNCONFIRMED).state([])
    assert state["pending_call_ids"] == {"p": SINCE}
    assert state["unconfirmed_call_ids"] == {"u": SINCE}
    assert state["done_call_ids"] == state["failed_call_ids"] == []


def test_a_state_written_reads_back_the_same() -> None:
    ledger = CallLedger.from_state(WITH_DURATION)
    configured = ["a", "b", "c", "p", "u"]
    assert CallLedger.from_state(ledger.state(configured)).state(configured) == ledger.state(
        configured
    )


def test_an_unconfirmed_submission_is_kept_at_once_and_its_result_replaces_it() -> None:
    ledger = ledger_of([Outcome("x", CallState.UNCONFIRMED, since=SINCE)])
    assert ledger.state(["x"])["unconfirmed_call_ids"] == {"x": SINCE}
    ledger_of([Outcome("x", CallState.PENDING, since=LATER)], ledger)
    assert ledger.state(["x"])["unconfirmed_call_ids"] == {}
    assert ledger.state(["x"])["pending_call_ids"] == {"x": LATER}
    ledger_of([Outcome("x", CallState.DONE)], ledger)
    assert ledger.state(["x"]) == {
        "done_call_ids": ["x"],
        "failed_call_ids": [],
        "pending_call_ids": {},
        "unconfirmed_call_ids": {},
    }


def test_an_unconfirmed_resubmission_of_a_pending_call_keeps_it_pending() -> None:
    ledger = CallLedger(pending={"x": SINCE})
    ledger_of([Outcome("x", CallState.UNCONFIRMED, since=LATER)], ledger)
    assert ledger.pending == {"x": SINCE}
    assert ledger.unconfirmed == {"x": LATER}


def test_a_failed_call_is_settled_and_never_collected_again() -> None:
    ledger = ledger_of([Outcome("x", CallState.FAILED, error="bad audio")])
    assert ledger.settled("x")
    assert ledger.to_collect(["x", "y"]) == ["y"]


@pytest.mark.parametrize(
    "state", [CallState.NEW, CallState.SUBMITTING, CallState.LEFT], ids=lambda s: s.name
)
def test_a_state_a_run_does_not_end_a_call_in_is_refused(state: CallState) -> None:
    with pytest.raises(ValueError, match="does not end a call"):
        CallLedger().record(Outcome("x", state))


def test_each_state_the_ledger_keeps_has_its_own_key() -> None:
    assert set(KEYS) == {
        CallState.DONE,
        CallState.FAILED,
        CallState.PENDING,
        CallState.UNCONFIRMED,
    }
    assert len(set(KEYS.values())) == len(KEYS)


@pytest.mark.parametrize(
    ("seconds", "written"),
    [pytest.param(12.5, 12500, id="whole"), pytest.param(0.0504, 50, id="rounded")],
)
def test_the_learned_duration_is_whole_milliseconds(seconds: float, written: int) -> None:
    """SDK targets read a fraction as Decimal, then cannot write the state back."""
    state = CallLedger(analysis_seconds=seconds).state([])
    assert state["analysis_ms"] == written
    assert isinstance(state["analysis_ms"], int)


def test_no_learned_duration_writes_none() -> None:
    assert "analysis_ms" not in CallLedger().state([])
