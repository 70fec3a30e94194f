"""The stream's state: which calls are settled, and which are still open at alovoice.

Settled calls (done or failed) are never submitted or emitted again; pending calls were
submitted (by this tap or by someone else) and are polled by the next run without another
submission; unconfirmed calls had a submission that may or may not have reached alovoice, and
the next run asks for their result before it submits them. Only the settled calls that are still
configured are kept, so the state grows with the call list, not with the account's history: a
call dropped from the list and added again later is asked for again, which costs a result query,
never a submission. Pending and unconfirmed calls are kept whether configured or not, so that a
submission is never forgotten. The state also keeps how long analyses took (`analysis_ms`,
see timing.py), for the next run's first result queries; a state without it is read as before.
The keys are those of the first release's state, which every later one reads: a state without
`unconfirmed_call_ids` or `analysis_ms` (written before they existed) reads as none of either.
It is a whole number of milliseconds: Singer targets built on the SDK read a state's fractions
as Decimal and then fail to write the state back (target-postgres: "Object of type Decimal is
not JSON serializable"), so the state holds no fraction.
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass, field
from decimal import Decimal

from singer_tap_kit.state import StateError, check_shape, shown, unusable
from tap_alovoice.lifecycle import CallState

if t.TYPE_CHECKING:
    from tap_alovoice.pipeline import Outcome

# The state's keys: the settled calls' ids, and the open calls' ids with a time each.
DONE_IDS, FAILED_IDS = "done_call_ids", "failed_call_ids"
PENDING_IDS, UNCONFIRMED_IDS = "pending_call_ids", "unconfirmed_call_ids"
ANALYSIS_MS = "analysis_ms"
# The states a run ends a call in that the ledger keeps: the key of each.
KEYS = {
    CallState.DONE: DONE_IDS,
    CallState.FAILED: FAILED_IDS,
    CallState.PENDING: PENDING_IDS,
    CallState.UNCONFIRMED: UNCONFIRMED_IDS,
}


@dataclass
class CallLedger:
    """Calls settled or open, as saved in ``bookmarks.analyses`` of the Singer state."""

    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    pending: dict[str, str] = field(default_factory=dict)  # call id -> pending since (UTC)
    unconfirmed: dict[str, str] = field(default_factory=dict)  # call id -> submitted at (UTC)
    analysis_seconds: float | None = None  # how long analyses took, as last learned

    @classmethod
    def from_state(cls, state: t.Mapping[str, t.Any]) -> CallLedger:
        """The ledger of a state; StateError when a part of it has the wrong type."""
        return cls(
            set(_ids(state, DONE_IDS)),
            set(_ids(state, FAILED_IDS)),
            _times(state, PENDING_IDS),
            _times(state, UNCONFIRMED_IDS),
            _milliseconds(state, ANALYSIS_MS),
        )

    def settled(self, call_id: str) -> bool:
        return call_id in self.done or call_id in self.failed

    def to_collect(self, configured: t.Sequence[str]) -> list[str]:
        """Configured calls not settled yet, then open calls no longer configured."""
        open_calls = [i for i in configured if not self.settled(i)]
        listed = set(configured)
        earlier = dict.fromkeys([*self.pending, *self.unconfirmed])
        return open_calls + [i for i in earlier if i not in listed and not self.settled(i)]

    def record(self, outcome: Outcome) -> None:
        """Take in an outcome once its rows have been written.

        An unconfirmed call stays pending if it was; any other outcome replaces what the
        ledger knew of the call.
        """
        call_id, status = outcome.call_id, outcome.status
        if status is CallState.UNCONFIRMED:
            self.unconfirmed[call_id] = outcome.since or ""
            return
        self.unconfirmed.pop(call_id, None)
        if status is CallState.PENDING:
            self.pending[call_id] = outcome.since or ""
            return
        self.pending.pop(call_id, None)
        if status is CallState.DONE:
            self.done.add(call_id)
        elif status is CallState.FAILED:
            self.failed.add(call_id)
        else:
            msg = f"a run does not end a call in the state {status.value!r}"
            raise ValueError(msg)

    def state(self, configured: t.Iterable[str]) -> dict[str, t.Any]:
        listed = set(configured)
        state: dict[str, t.Any] = {
            DONE_IDS: sorted(self.done & listed),
            FAILED_IDS: sorted(self.failed & listed),
            PENDING_IDS: dict(sorted(self.pending.items())),
            UNCONFIRMED_IDS: dict(sorted(self.unconfirmed.items())),
        }
        if self.analysis_seconds is not None:
            state[ANALYSIS_MS] = round(self.analysis_seconds * 1000)
        return state


def check_state(state: object, stream: str) -> None:
    """StateError, with one line that says what is wrong, unless the Singer state has the
    shape the SDK and this tap read (``stream``: the bookmark this tap keeps its ledger in)."""
    check_shape(state)
    problem = ledger_problem(t.cast("dict[str, t.Any]", state), stream)
    if problem:
        raise unusable(problem)


def ledger_problem(state: t.Mapping[str, t.Any], stream: str) -> str | None:
    """What is wrong with the ledger in a state of the right shape, or None."""
    try:
        CallLedger.from_state((state.get("bookmarks") or {}).get(stream) or {})
    except StateError as exc:
        return f"bookmarks.{stream}.{exc}"
    return None


def _ids(state: t.Mapping[str, t.Any], key: str) -> list[str]:
    value = state.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        msg = f"{key} must be a list of call ids (strings), not {shown(value)}"
        raise StateError(msg)
    return value


def _times(state: t.Mapping[str, t.Any], key: str) -> dict[str, str]:
    value = state.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        msg = f"{key} must be an object of call ids to times (strings), not {shown(value)}"
        raise StateError(msg)
    return dict(value)


def _milliseconds(state: t.Mapping[str, t.Any], key: str) -> float | None:
    """The learned duration in seconds, from its whole number of milliseconds."""
    value = state.get(key)
    if value is None:
        return None
    # The SDK reads the state's numbers as Decimal; a whole one is accepted in any form.
    number = float(value) if isinstance(value, int | float | Decimal) else math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or number % 1:
        msg = f"{key} must be a whole number of milliseconds, not {shown(value)}"
        raise StateError(msg)
    return number / 1000
