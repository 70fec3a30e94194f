"""Which request goes out next, and when each pending call is polled again.

Checking calls (and submitting them) comes first, since every submission starts an analysis
clock that runs while the rest are checked. A pending call is polled `poll_interval_ms` after it
was found pending, then 1.5 times later each time, up to `poll_interval_max_ms`; a poll overdue by
`poll_interval_max_ms` goes ahead of everything, so that a long list of calls to check does not
hold up the results. Once every call is checked, polls go on until the deadline (`max_wait`).
"""

from __future__ import annotations

import heapq
import typing as t
from collections import deque
from dataclasses import dataclass

from tap_alovoice.describe import RESULT, SUBMIT

POLL_GROWTH = 1.5


@dataclass(frozen=True)
class PollPlan:
    """The settings that shape a run's requests."""

    submit: bool = True
    max_concurrency: int = 8
    poll_interval: float = 5.0
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

    def poll_wait(self, polls: int) -> float:
        """Seconds until the next result query of a call already queried ``polls`` times."""
        return min(self.poll_interval * POLL_GROWTH**polls, self.poll_interval_max)


class Schedule:
    """The calls' next requests: immediate ones in a queue, timed ones in a heap."""

    def __init__(self, plan: PollPlan, call_ids: t.Iterable[str]) -> None:
        self.plan = plan
        self.starts: deque[tuple[str, str]] = deque((i, RESULT) for i in call_ids)
        self.timed: list[tuple[float, int, str]] = []  # (due, sequence, call id)
        self.deadline: float | None = None
        self._sequence = 0

    def submit(self, call_id: str) -> None:
        """Submit next: the call was just found never submitted."""
        self.starts.appendleft((call_id, SUBMIT))

    def query_at(self, due: float, call_id: str) -> None:
        """Query the call's result at monotonic time ``due``."""
        self._sequence += 1
        heapq.heappush(self.timed, (due, self._sequence, call_id))

    def next_request(self, now: float) -> tuple[str, str] | None:
        """The (call id, step) to send now, or None when nothing is due."""
        timed, polling = self.timed, self.deadline is None or now < self.deadline
        if timed and polling and timed[0][0] <= now - self.plan.poll_interval_max:
            return heapq.heappop(timed)[2], RESULT
        if self.starts:
            return self.starts.popleft()
        if timed and polling and timed[0][0] <= now:
            return heapq.heappop(timed)[2], RESULT
        return None

    def next_moment(self, now: float) -> float | None:
        """When a request falls due, or the deadline passes, whichever is first; None once
        the deadline has passed, as no timed request is sent after it."""
        if self.deadline is not None and now >= self.deadline:
            return None
        due = self.timed[0][0] if self.timed else None
        moments = [m for m in (due, self.deadline) if m is not None]
        return min(moments) if moments else None

    def finished(self, now: float) -> bool:
        """Nothing left to send in this run."""
        past_deadline = self.deadline is not None and now >= self.deadline
        return not self.starts and (not self.timed or past_deadline)
