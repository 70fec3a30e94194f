"""The call lifecycle's transition table, walked pair by pair: state and answer to next state.

No pipeline, no client: the table is data, and these cases read it as the rules it states.
"""

from __future__ import annotations

import pytest

from tap_alovoice.lifecycle import (
    CHECKED,
    FINAL,
    ROWS,
    TRANSITIONS,
    Action,
    CallState,
    Event,
    Guard,
    NoTransitionError,
    event_of,
    guards,
    initial_state,
    next_rule,
)
from tap_alovoice.replies import Kind, Reply
from tap_alovoice.retries import Trouble

S, E, A, G = CallState, Event, Action, Guard
ASKING = (S.NEW, S.SUBMITTED_EARLIER, S.PENDING, S.UNCONFIRMED)  # their request: a result query
OPEN = (*ASKING, S.SUBMITTING)
ALL_GUARDS = frozenset(Guard)
NO_GUARD: frozenset[Guard] = frozenset()
# Events that show alovoice has the call: after one, it is never submitted again.
KNOWN = (E.DONE, E.PENDING, E.ANSWER_FAILED)
TROUBLE = (E.MAY_HAVE_ARRIVED, E.NOT_SENT)

# (state, event, guards that hold) -> (next state, action): every pair, each guard both ways.
EXPECTED = {
    # A call never known submitted: its result is asked for first.
    (S.NEW, E.DONE, NO_GUARD): (S.DONE, A.COLLECT),
    (S.NEW, E.PENDING, NO_GUARD): (S.PENDING, A.WAIT),
    (S.NEW, E.ANSWER_FAILED, NO_GUARD): (S.FAILED, A.FAIL),
    (S.NEW, E.ERROR, NO_GUARD): (S.FAILED, A.FAIL),
    (S.NEW, E.NOT_FOUND, frozenset({G.SUBMIT_ALLOWED})): (S.SUBMITTING, A.SUBMIT),
    (S.NEW, E.NOT_FOUND, NO_GUARD): (S.LEFT, A.LEAVE_ALONE),
    (S.NEW, E.MAY_HAVE_ARRIVED, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
    (S.NEW, E.NOT_SENT, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
    # Pending in the state: submitted by an earlier run; never submitted again.
    (S.SUBMITTED_EARLIER, E.DONE, NO_GUARD): (S.DONE, A.COLLECT),
    (S.SUBMITTED_EARLIER, E.PENDING, NO_GUARD): (S.PENDING, A.WAIT),
    (S.SUBMITTED_EARLIER, E.ANSWER_FAILED, NO_GUARD): (S.FAILED, A.FAIL),
    (S.SUBMITTED_EARLIER, E.ERROR, NO_GUARD): (S.FAILED, A.FAIL),
    (S.SUBMITTED_EARLIER, E.NOT_FOUND, ALL_GUARDS): (S.FAILED, A.FAIL),
    (S.SUBMITTED_EARLIER, E.MAY_HAVE_ARRIVED, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
    (S.SUBMITTED_EARLIER, E.NOT_SENT, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
    # Acknowledged: asked again until done, failed, or the run ends (its row says pending).
    (S.PENDING, E.DONE, NO_GUARD): (S.DONE, A.COLLECT),
    (S.PENDING, E.PENDING, NO_GUARD): (S.PENDING, A.WAIT),
    (S.PENDING, E.ANSWER_FAILED, NO_GUARD): (S.FAILED, A.FAIL),
    (S.PENDING, E.ERROR, NO_GUARD): (S.FAILED, A.FAIL),
    (S.PENDING, E.NOT_FOUND, ALL_GUARDS): (S.FAILED, A.FAIL),
    (S.PENDING, E.MAY_HAVE_ARRIVED, ALL_GUARDS): (S.PENDING, A.GIVE_UP),
    (S.PENDING, E.NOT_SENT, ALL_GUARDS): (S.PENDING, A.GIVE_UP),
    # The submission: any answer about the call acknowledges it.
    (S.SUBMITTING, E.DONE, NO_GUARD): (S.PENDING, A.WAIT_FIRST),
    (S.SUBMITTING, E.PENDING, NO_GUARD): (S.PENDING, A.WAIT_FIRST),
    (S.SUBMITTING, E.ANSWER_FAILED, NO_GUARD): (S.PENDING, A.WAIT_FIRST),
    (S.SUBMITTING, E.ERROR, ALL_GUARDS): (S.LEFT, A.REFUSED),
    (S.SUBMITTING, E.NOT_FOUND, ALL_GUARDS): (S.FAILED, A.FAIL),
    (S.SUBMITTING, E.MAY_HAVE_ARRIVED, NO_GUARD): (S.UNCONFIRMED, A.DOUBT),
    (S.SUBMITTING, E.MAY_HAVE_ARRIVED, ALL_GUARDS): (S.UNCONFIRMED, A.DOUBT),
    (S.SUBMITTING, E.NOT_SENT, frozenset({G.RETRIES_LEFT})): (S.NEW, A.ASK_BEFORE_RESENDING),
    (S.SUBMITTING, E.NOT_SENT, NO_GUARD): (S.LEFT, A.GIVE_UP),
    # A submission that may have arrived: alovoice is asked before anything is sent again.
    (S.UNCONFIRMED, E.DONE, NO_GUARD): (S.DONE, A.COLLECT),
    (S.UNCONFIRMED, E.PENDING, NO_GUARD): (S.PENDING, A.WAIT),
    (S.UNCONFIRMED, E.ANSWER_FAILED, NO_GUARD): (S.FAILED, A.FAIL),
    (S.UNCONFIRMED, E.ERROR, NO_GUARD): (S.FAILED, A.FAIL),
    (S.UNCONFIRMED, E.NOT_FOUND, ALL_GUARDS): (S.UNCONFIRMED, A.ASK_AGAIN_LATER),
    (S.UNCONFIRMED, E.NOT_FOUND, frozenset({G.TOO_SOON})): (S.UNCONFIRMED, A.ASK_AGAIN_LATER),
    (S.UNCONFIRMED, E.NOT_FOUND, frozenset({G.RETRIES_LEFT})): (S.SUBMITTING, A.SUBMIT),
    (S.UNCONFIRMED, E.NOT_FOUND, NO_GUARD): (S.LEFT, A.ABANDON),
    (S.UNCONFIRMED, E.MAY_HAVE_ARRIVED, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
    (S.UNCONFIRMED, E.NOT_SENT, ALL_GUARDS): (S.LEFT, A.GIVE_UP),
}


def _case_id(case: tuple[CallState, Event, frozenset[Guard]]) -> str:
    state, event, holding = case
    named = "+".join(sorted(g.name for g in holding)) or "no guard"
    return f"{state.name}-{event.name}-{named}"


@pytest.mark.parametrize("case", list(EXPECTED), ids=_case_id)
def test_each_state_and_answer_moves_the_call_as_the_table_says(
    case: tuple[CallState, Event, frozenset[Guard]],
) -> None:
    rule = next_rule(*case)
    assert (rule.then, rule.action) == EXPECTED[case]


def test_the_walk_covers_every_pair_and_the_table_has_no_other() -> None:
    walked = {(state, event) for state, event, _ in EXPECTED}
    assert walked == {(s, e) for s in OPEN for e in Event}
    assert set(TRANSITIONS) == walked
    assert {S.DONE, S.FAILED, S.LEFT} == FINAL


@pytest.mark.parametrize("pair", list(TRANSITIONS), ids=lambda p: f"{p[0].name}-{p[1].name}")
def test_every_pair_has_a_rule_whatever_holds(pair: tuple[CallState, Event]) -> None:
    """The last rule of each entry has no guard: no answer leaves a call without a move."""
    assert TRANSITIONS[pair][-1].when is None


@pytest.mark.parametrize("state", sorted(FINAL), ids=lambda s: s.name)
def test_a_settled_call_sends_no_request_so_takes_no_answer(state: CallState) -> None:
    with pytest.raises(NoTransitionError, match="no transition"):
        next_rule(state, E.DONE, ALL_GUARDS)


def _reachable(start: CallState) -> set[CallState]:
    """States a call can reach from ``start``, whatever the answers and guards."""
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        for (source, _), rules in TRANSITIONS.items():
            for rule in rules if source is state else ():
                if rule.then not in seen:
                    seen.add(rule.then)
                    todo.append(rule.then)
    return seen


def test_a_submission_received_is_never_followed_by_another() -> None:
    """After any answer that shows alovoice has the call, no path leads back to a submission."""
    for (state, event), rules in TRANSITIONS.items():
        if event not in KNOWN:
            continue
        for rule in rules:
            assert S.SUBMITTING not in _reachable(rule.then), (state, event, rule)
    assert S.SUBMITTING not in _reachable(S.SUBMITTED_EARLIER)


def test_only_not_found_leads_to_a_submission() -> None:
    submitting = {
        (state, event)
        for (state, event), rules in TRANSITIONS.items()
        for rule in rules
        if rule.then is S.SUBMITTING
    }
    assert submitting == {(S.NEW, E.NOT_FOUND), (S.UNCONFIRMED, E.NOT_FOUND)}


class _Run:
    """A model of the pipeline's bookkeeping around the table: times, failed submissions."""

    REQUEST_TIMEOUT, MAX_RETRIES = 60.0, 2

    def __init__(self) -> None:
        self.state, self.now = S.NEW, 0.0
        self.failed_submissions, self.submissions = 0, 0
        self.unconfirmed_at: float | None = None
        self.actions: list[Action] = []

    def answer(self, event: Event, *, after: float = 1.0) -> CallState:
        self.now += after
        if self.state is S.SUBMITTING:
            self.submissions += 1
            if event in TROUBLE:
                self.failed_submissions += 1
        if event in KNOWN:
            self.unconfirmed_at = None
        holding = guards(
            submit=True,
            failed_submissions=self.failed_submissions,
            max_retries=self.MAX_RETRIES,
            asked_at=self.now,
            unconfirmed_at=self.unconfirmed_at,
            request_timeout=self.REQUEST_TIMEOUT,
        )
        rule = next_rule(self.state, event, holding)
        if rule.action is A.DOUBT:
            self.unconfirmed_at = self.now
        if rule.action in {A.SUBMIT, A.ABANDON}:
            self.unconfirmed_at = None
        self.state = rule.then
        self.actions.append(rule.action)
        return self.state


def test_a_5xx_after_a_submission_then_known_is_collected_without_a_second() -> None:
    run = _Run()
    assert run.answer(E.NOT_FOUND) is S.SUBMITTING
    assert run.answer(E.MAY_HAVE_ARRIVED) is S.UNCONFIRMED, "a 504: it may have arrived"
    assert run.answer(E.PENDING) is S.PENDING, "alovoice knows it: collected, not resubmitted"
    assert run.answer(E.DONE) is S.DONE
    assert run.submissions == 1


def test_a_timeout_then_unknown_is_asked_again_until_request_timeout_then_resubmitted() -> None:
    run = _Run()
    run.answer(E.NOT_FOUND)
    run.answer(E.MAY_HAVE_ARRIVED)  # a read timeout
    assert run.answer(E.NOT_FOUND, after=1) is S.UNCONFIRMED, "alovoice may still register it"
    assert run.actions[-1] is A.ASK_AGAIN_LATER
    assert run.answer(E.NOT_FOUND, after=run.REQUEST_TIMEOUT - 1) is S.SUBMITTING
    assert run.answer(E.PENDING) is S.PENDING
    assert run.submissions == 2, "the first never arrived: one received submission"


def test_a_dropped_connection_on_every_submission_is_bounded_by_max_retries() -> None:
    run = _Run()
    run.answer(E.NOT_FOUND)
    while run.state is not S.LEFT:
        assert run.answer(E.MAY_HAVE_ARRIVED) is S.UNCONFIRMED
        run.answer(E.NOT_FOUND, after=run.REQUEST_TIMEOUT)
    assert run.actions[-1] is A.ABANDON
    assert run.submissions == run.MAX_RETRIES + 1


def test_a_429_on_every_submission_is_bounded_by_max_retries() -> None:
    run = _Run()
    run.answer(E.NOT_FOUND)
    while run.state is not S.LEFT:
        assert run.answer(E.NOT_SENT) in {S.NEW, S.LEFT}
        if run.state is S.NEW:
            assert run.answer(E.NOT_FOUND) is S.SUBMITTING, "asked first, then sent again"
    assert run.actions[-1] is A.GIVE_UP
    assert run.submissions == run.MAX_RETRIES + 1


@pytest.mark.parametrize(
    ("since_failure", "too_soon"),
    [
        pytest.param(1.0, True, id="just-after"),
        pytest.param(59.999, True, id="a-tick-before-request-timeout"),
        pytest.param(60.0, False, id="at-request-timeout"),
    ],
)
def test_too_soon_until_request_timeout_has_passed(since_failure: float, too_soon: bool) -> None:
    holding = guards(
        submit=True,
        failed_submissions=1,
        max_retries=5,
        asked_at=100.0 + since_failure,
        unconfirmed_at=100.0,
        request_timeout=60.0,
    )
    assert (G.TOO_SOON in holding) is too_soon


@pytest.mark.parametrize(("failed", "left"), [(0, True), (2, True), (3, False)])
def test_retries_left_while_failures_are_at_most_max_retries(failed: int, left: bool) -> None:
    holding = guards(
        submit=False,
        failed_submissions=failed,
        max_retries=2,
        asked_at=0.0,
        unconfirmed_at=None,
        request_timeout=60.0,
    )
    assert (G.RETRIES_LEFT in holding) is left
    assert G.SUBMIT_ALLOWED not in holding
    assert G.TOO_SOON not in holding, "no failed submission to wait for"


@pytest.mark.parametrize(
    ("result", "event"),
    [
        (Reply(Kind.DONE, {"stalk": []}), E.DONE),
        (Reply(Kind.PENDING, {"aicallid": "x"}), E.PENDING),
        (Reply(Kind.FAILED, {"error": "bad audio"}, "bad audio"), E.ANSWER_FAILED),
        (Reply(Kind.FAILED, error="Доступ запрещён"), E.ERROR),
        (Reply(Kind.NOT_FOUND, error="AI analysis not found"), E.NOT_FOUND),
        (Trouble("HTTP 504", 1.0, may_have_arrived=True), E.MAY_HAVE_ARRIVED),
        (Trouble("HTTP 429", 1.0, may_have_arrived=False), E.NOT_SENT),
    ],
    ids=["done", "pending", "error-in-answer", "error-body", "not-found", "5xx", "429"],
)
def test_each_answer_is_one_event(result: Reply | Trouble, event: Event) -> None:
    assert event_of(result) is event


def test_a_call_pending_in_the_state_starts_as_submitted_earlier() -> None:
    assert initial_state(None) is S.NEW
    assert initial_state("2026-05-20T12:00:00+00:00") is S.SUBMITTED_EARLIER


def test_rows_and_checked_states() -> None:
    """Rows carry the status values the schema allows; an open call is not checked yet."""
    assert sorted(s.value for s in ROWS) == ["done", "failed", "pending"]
    assert {S.PENDING, S.DONE, S.FAILED, S.LEFT} == CHECKED
