"""Which request goes out next, and when each pending call is polled again.

Checking calls (and submitting them) comes first, since every submission starts an analysis
clock that runs while the rest are checked. A call submitted in this run is first polled when
the learned duration of an analysis has passed since its submission (see timing.py): that
duration changes as answers come in, so these first polls wait in submission order and their
moment is worked out when they are looked at. Later polls have a fixed moment. A poll overdue by
`poll_interval_max_ms` goes ahead of everything, so that a long list of calls to check does not
hold up the results. Once every call is checked, polls go on until the deadline (`max_wait`).
"""

from __future__ import annotations

import heapq
import typing as t
from collections import deque
from dataclasses import dataclass

from tap_alovoice.describe import RESULT, SUBMIT

if t.TYPE_CHECKING:
    from tap_alovoice.timing import AnalysisClock


@dataclass(frozen=True)
class PollPlan:
    """The settings that shape a run's requests."""

    submit: bool = True
    max_concurrency: int = 8
    poll_interval: float = 1.0
    poll_interval_max: float = 60.0
    max_wait: float = 900.0
    request_timeout: float = 60.0
    max_retries: int = 5

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> PollPlan:
        return cls(
            submit=bool(config["submit"]),
            max_concurrency=int(config["max_concurrency"]),
            poll_interval=int(config["poll_interval_ms"]) / 1000,
            poll_interval_max=int(config["poll_interval_max_ms"]) / 1000,
            max_wait=float(config["max_wait"]),
            request_timeout=float(config["request_timeout"]),
            max_retries=int(config["max_retries"]),
        )


class Schedule:
    """The calls' next requests: immediate ones in a queue, timed ones in a heap."""

    def __init__(self, plan: PollPlan, call_ids: t.Iterable[str], clock: AnalysisClock) -> None:
        self.plan, self.clock = plan, clock
        self.starts: deque[tuple[str, str]] = deque((i, RESULT) for i in call_ids)
        self.timed: list[tuple[float, int, str]] = []  # (due, sequence, call id)
        self.first: list[tuple[float, int, str]] = []  # (submitted at, sequence, call id)
        self.deadline: float | None = None
        self._sequence = 0
        self._timed_at: dict[str, tuple[float, int]] = {}  # call id -> its entry in timed
        self.probe: str | None = None  # a first query in flight while no analysis is timed

    def submit(self, call_id: str) -> None:
        """Submit next: the call was just found never submitted."""
        self.starts.appendleft((call_id, SUBMIT))

    def query_at(self, due: float, call_id: str) -> None:
        """Query the call's result at monotonic time ``due``."""
        self._sequence += 1
        heapq.heappush(self.timed, (due, self._sequence, call_id))
        self._timed_at[call_id] = (due, self._sequence)

    def bring_forward(self, due: float, call_id: str) -> None:
        """Query the call's result at ``due`` if it is waiting for a later query."""
        if call_id in self._timed_at and due < self._timed_at[call_id][0]:
            self.query_at(due, call_id)  # the later entry is skipped when it comes up

    def first_query(self, submitted_at: float, call_id: str) -> None:
        """Query the result of a call submitted at monotonic time ``submitted_at`` once the
        learned duration of an analysis has passed. The calls wait in submission order, which
        no change of the learned duration changes. Until an analysis is timed, one first
        query at a time: its answer moves the learned duration before the next is sent."""
        self._sequence += 1
        heapq.heappush(self.first, (submitted_at, self._sequence, call_id))

    def next_request(self, now: float) -> tuple[str, str] | None:
        """The (call id, step) to send now, or None when nothing is due."""
        due, polling = self._due(), self.deadline is None or now < self.deadline
        if due is not None and polling and due <= now - self.plan.poll_interval_max:
            return self._pop(), RESULT
        if self.starts:
            return self.starts.popleft()
        if due is not None and polling and due <= now:
            return self._pop(), RESULT
        return None

    def next_moment(self, now: float) -> float | None:
        """When a request falls due, or the deadline passes, whichever is first; None once
        the deadline has passed, as no timed request is sent after it."""
        if self.deadline is not None and now >= self.deadline:
            return None
        moments = [m for m in (self._due(), self.deadline) if m is not None]
        return min(moments) if moments else None

    def finished(self, now: float) -> bool:
        """Nothing left to send in this run."""
        past_deadline = self.deadline is not None and now >= self.deadline
        return not self.starts and (not (self._timed_at or self.first) or past_deadline)

    def _due(self) -> float | None:
        """When the earliest poll falls due."""
        moments = []
        timed = self.timed
        while timed and self._timed_at.get(timed[0][2], (0, 0))[1] != timed[0][1]:
            heapq.heappop(timed)  # brought forward since
        if timed:
            moments.append(self.timed[0][0])
        if self.first and not (self.clock.searching and self.probe is not None):
            moments.append(self.first[0][0] + self.clock.seconds)
        return min(moments) if moments else None

    def _pop(self) -> str:
        self._due()  # drops entries brought forward
        first = self.first[0][0] + self.clock.seconds if self.first else None
        if self.clock.searching and self.probe is not None:
            first = None
        if first is not None and (not self.timed or first <= self.timed[0][0]):
            call_id = heapq.heappop(self.first)[2]
            self.probe = call_id if self.clock.searching else None
            return call_id
        call_id = heapq.heappop(self.timed)[2]
        del self._timed_at[call_id]
        return call_id
