"""A call's lifecycle in one run: its states, and what each answer moves it to.

alovoice bills every submission, so the rules that decide when a call is submitted are the
tap's most costly ones. They are one table here, `TRANSITIONS`, rather than branches spread
over the pipeline: for each state and each kind of answer (an `Event`), the rules to try in
order. A rule with a `Guard` applies only when its guard holds (the pipeline says which hold);
the last rule of an entry has none. The pipeline (pipeline.py) carries out the rule's `Action`
and the ledger (ledger.py) keeps the states a run ends in.

The step a call's next request takes follows from its state: a SUBMITTING call is submitted,
every other open call has its result asked for. A call enters SUBMITTING only from a result
query that found it unknown (NEW) or still unknown once a failed submission has had time to
arrive (UNCONFIRMED, at most `max_retries` failed submissions); no state after an
acknowledgement leads back to it, so alovoice never receives a call twice.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from enum import Enum, StrEnum

from tap_alovoice.replies import Kind, Reply
from tap_alovoice.retries import Trouble


class CallState(StrEnum):
    """Where a call stands. The values of DONE, FAILED and PENDING are the rows' `status`."""

    NEW = "new"  # never known to be submitted: its result is asked for first
    SUBMITTED_EARLIER = "submitted earlier"  # pending in the state: its result is asked for
    SUBMITTING = "submitting"  # alovoice does not know it: it is submitted next
    UNCONFIRMED = "unconfirmed"  # its submission failed but may have arrived: asked again
    PENDING = "pending"  # alovoice has it, analysis not finished: asked again later
    DONE = "done"  # the result is in
    FAILED = "failed"  # alovoice does not know a submitted call, or the analysis failed
    LEFT = "left for the next run"  # not settled, and not asked again in this run


ROWS = frozenset({CallState.DONE, CallState.FAILED, CallState.PENDING})
# Its status is known, or this run gave up finding out: once every call's is, the wait for
# the results begins (max_wait).
CHECKED = frozenset({CallState.PENDING, CallState.DONE, CallState.FAILED, CallState.LEFT})


class Event(Enum):
    """What the answer to a call's request says."""

    DONE = "an answer with the analysis' results"
    PENDING = "an answer without them yet"
    ANSWER_FAILED = "an answer that carries an error text or a failed status"
    ERROR = "an error text about the call"
    NOT_FOUND = "alovoice does not know the call"
    MAY_HAVE_ARRIVED = "no answer, and the request may have arrived (5xx, timeout, cut answer)"
    NOT_SENT = "no answer, and the request cannot have arrived (429, 408, no connection)"


class Action(Enum):
    """What the pipeline does on a transition."""

    COLLECT = "emit the done row"
    FAIL = "emit the failed row (held back while alovoice is seen to know no call)"
    WAIT = "ask for the result again, later the older the call"
    WAIT_FIRST = "acknowledged: ask for the result once analyses usually are done"
    SUBMIT = "submit the call"
    LEAVE_ALONE = "submit is false: the call is left alone"
    REFUSED = "alovoice refused the submission: the next run asks for its result first"
    DOUBT = "keep the call as unconfirmed in the state, ask for its result after the retry wait"
    ASK_BEFORE_RESENDING = "ask for its result after the retry wait, submit only if unknown"
    ASK_AGAIN_LATER = "ask again once request_timeout has passed since the failed submission"
    GIVE_UP = "retries exhausted: the next run asks again"
    ABANDON = "too many failed submissions: the next run asks for its result first"


class Guard(Enum):
    """A condition some rules depend on; the pipeline says which hold for a call."""

    SUBMIT_ALLOWED = "the submit setting is true"
    TOO_SOON = "request_timeout has not passed since the failed submission"
    RETRIES_LEFT = "the call's submissions have failed at most max_retries times"


@dataclass(frozen=True)
class Rule:
    """Move to ``then`` and carry out ``action``, when ``when`` holds (always if None)."""

    then: CallState
    action: Action
    when: Guard | None = None


S, E, A, G = CallState, Event, Action, Guard
_GIVE_UP = (Rule(S.LEFT, A.GIVE_UP),)


def _asking(
    *, not_found: tuple[Rule, ...], give_up: tuple[Rule, ...] = _GIVE_UP
) -> dict[Event, tuple[Rule, ...]]:
    """The rules of a state whose request is a result query."""
    return {
        E.DONE: (Rule(S.DONE, A.COLLECT),),
        E.PENDING: (Rule(S.PENDING, A.WAIT),),
        E.ANSWER_FAILED: (Rule(S.FAILED, A.FAIL),),
        E.ERROR: (Rule(S.FAILED, A.FAIL),),
        E.NOT_FOUND: not_found,
        E.MAY_HAVE_ARRIVED: give_up,  # the client's retries of the query are exhausted
        E.NOT_SENT: give_up,
    }


_ACKNOWLEDGED = (Rule(S.PENDING, A.WAIT_FIRST),)
_TABLE: dict[CallState, dict[Event, tuple[Rule, ...]]] = {
    S.NEW: _asking(
        not_found=(Rule(S.SUBMITTING, A.SUBMIT, G.SUBMIT_ALLOWED), Rule(S.LEFT, A.LEAVE_ALONE))
    ),
    # alovoice forgot a call it had: failed, never submitted again.
    S.SUBMITTED_EARLIER: _asking(not_found=(Rule(S.FAILED, A.FAIL),)),
    S.PENDING: _asking(
        not_found=(Rule(S.FAILED, A.FAIL),),
        give_up=(Rule(S.PENDING, A.GIVE_UP),),  # its pending row comes at the end of the run
    ),
    S.SUBMITTING: {
        # Any answer about the call, even one with an error in it, acknowledges the submission.
        E.DONE: _ACKNOWLEDGED,
        E.PENDING: _ACKNOWLEDGED,
        E.ANSWER_FAILED: _ACKNOWLEDGED,
        E.ERROR: (Rule(S.LEFT, A.REFUSED),),
        E.NOT_FOUND: (Rule(S.FAILED, A.FAIL),),
        E.MAY_HAVE_ARRIVED: (Rule(S.UNCONFIRMED, A.DOUBT),),
        E.NOT_SENT: (
            Rule(S.NEW, A.ASK_BEFORE_RESENDING, G.RETRIES_LEFT),
            Rule(S.LEFT, A.GIVE_UP),
        ),
    },
    S.UNCONFIRMED: _asking(
        not_found=(
            Rule(S.UNCONFIRMED, A.ASK_AGAIN_LATER, G.TOO_SOON),
            Rule(S.SUBMITTING, A.SUBMIT, G.RETRIES_LEFT),
            Rule(S.LEFT, A.ABANDON),
        )
    ),
}
TRANSITIONS: t.Mapping[tuple[CallState, Event], tuple[Rule, ...]] = {
    (state, event): rules for state, by_event in _TABLE.items() for event, rules in by_event.items()
}
# No request is sent about a call in these states.
FINAL = frozenset(set(CallState) - set(_TABLE))


class NoTransitionError(LookupError):
    """An answer came for a call in a state that sends no request: a bug, not alovoice's."""


def next_rule(state: CallState, event: Event, holding: t.Container[Guard]) -> Rule:
    """The first rule of (state, event) whose guard holds."""
    try:
        rules = TRANSITIONS[state, event]
    except KeyError:
        msg = f"no transition from {state.value!r} on {event.name}"
        raise NoTransitionError(msg) from None
    return next(rule for rule in rules if rule.when is None or rule.when in holding)


def initial_state(pending_since: str | None) -> CallState:
    """A call the state keeps as pending was submitted by an earlier run (or someone else)."""
    return CallState.NEW if pending_since is None else CallState.SUBMITTED_EARLIER


def event_of(result: Reply | Trouble) -> Event:
    """The event an answer (or a request that got none) is."""
    if isinstance(result, Trouble):
        return E.MAY_HAVE_ARRIVED if result.may_have_arrived else E.NOT_SENT
    if result.kind is Kind.FAILED:
        return E.ERROR if result.answer is None else E.ANSWER_FAILED
    return {Kind.DONE: E.DONE, Kind.PENDING: E.PENDING, Kind.NOT_FOUND: E.NOT_FOUND}[result.kind]


def guards(
    *,
    submit: bool,
    failed_submissions: int,
    max_retries: int,
    asked_at: float,
    unconfirmed_at: float | None,
    request_timeout: float,
) -> frozenset[Guard]:
    """The guards that hold for a call (times are monotonic seconds).

    ``asked_at``: when the request just answered was sent; ``unconfirmed_at``: when a
    submission that may have arrived failed. alovoice may still register that submission while
    it handles the request, for up to request_timeout (the tap's own limit for a request).
    """
    holding = set()
    if submit:
        holding.add(G.SUBMIT_ALLOWED)
    if unconfirmed_at is not None and asked_at < unconfirmed_at + request_timeout:
        holding.add(G.TOO_SOON)
    if failed_submissions <= max_retries:
        holding.add(G.RETRIES_LEFT)
    return frozenset(holding)
