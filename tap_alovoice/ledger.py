"""The stream's state: which calls are settled, and which are still being analysed.

Settled calls (done or failed) are never submitted or emitted again; pending calls were
submitted (by this tap or by someone else) and are polled by the next run without another
submission. Only the settled calls that are still configured are kept, so the state grows with
the call list, not with the account's history: a call dropped from the list and added again
later is asked for again, which costs a result query, never a submission. Pending calls are
kept whether configured or not, so that a submission is never forgotten.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from tap_alovoice.pipeline import Outcome

DONE, FAILED, PENDING = "done_call_ids", "failed_call_ids", "pending_call_ids"


@dataclass
class CallLedger:
    """Calls settled or pending, as saved in ``bookmarks.analyses`` of the Singer state."""

    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    pending: dict[str, str] = field(default_factory=dict)  # call id -> pending since (UTC)

    @classmethod
    def from_state(cls, state: t.Mapping[str, t.Any]) -> CallLedger:
        return cls(
            {str(i) for i in state.get(DONE) or []},
            {str(i) for i in state.get(FAILED) or []},
            {str(i): str(since) for i, since in (state.get(PENDING) or {}).items()},
        )

    def settled(self, call_id: str) -> bool:
        return call_id in self.done or call_id in self.failed

    def to_collect(self, configured: t.Sequence[str]) -> list[str]:
        """Configured calls not settled yet, then pending calls no longer configured."""
        open_calls = [i for i in configured if not self.settled(i)]
        listed = set(configured)
        return open_calls + [i for i in self.pending if i not in listed and not self.settled(i)]

    def record(self, outcome: Outcome) -> None:
        """Take in an outcome once its rows have been written."""
        if outcome.status == "pending":
            self.pending[outcome.call_id] = outcome.pending_since or ""
            return
        self.pending.pop(outcome.call_id, None)
        (self.done if outcome.status == "done" else self.failed).add(outcome.call_id)

    def state(self, configured: t.Iterable[str]) -> dict[str, t.Any]:
        listed = set(configured)
        return {
            DONE: sorted(self.done & listed),
            FAILED: sorted(self.failed & listed),
            PENDING: dict(sorted(self.pending.items())),
        }
