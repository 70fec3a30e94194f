"""How long alovoice's analyses take, learned from the result queries of the run.

A result query sent too early costs a request (the answer is "still being analysed"); one sent
too late holds the row back. So the first query of a call submitted in this run is sent when
the analyses seen so far were found done, not after a fixed interval:

- until a query has found an analysis done, every "still being analysed" answer to a first
  query at age a (seconds since the submission) moves the learned duration to at least 2 a: the
  first queries double their wait, one first query at a time, which costs a handful of requests
  per run however long analyses take. The calls found still being analysed meanwhile are asked
  again at 1.5 times their age, so that their queries fall between the doubled waits: the first
  analysis found done sets the learned duration, within a small factor of the true one, and
  those calls are then asked when it has passed, if that is sooner;
- after that, an analysis found done at its first query shortens the learned duration by
  1.5 %, and one still being analysed lengthens it to at least 1.15 times its age. About one
  first query in ten then finds its analysis not done yet, and the others are sent within a few
  percent of the time the analyses took;
- the learned duration stays between FLOOR and the longest of `max_wait` and
  `poll_interval_max_ms`, and is kept in the state for the next run, which starts from it
  (`poll_interval_ms` is the first guess of a run without one).

A call found still being analysed is asked again at the learned duration if it is not that old
yet, else at 1.15 times its age after its first two queries and 1.5 times after later ones (a
call that slow is slower than most), at most `poll_interval_max_ms` later.
"""

from __future__ import annotations

FLOOR = 0.05  # seconds: never a first query sooner after a submission
GROWTH = 1.5  # a call older than the learned duration is asked again at this times its age
SEARCH_STEP = 2.0
LONGER = 1.15
SHORTER = 0.985
ON_TIME = 1.05  # a first query this much later than the learned duration is late


class AnalysisClock:
    """The learned duration of an analysis, in seconds."""

    def __init__(
        self, first_guess: float, longest: float, carried: float | None = None, *, most: float = 0
    ) -> None:
        self.longest = max(longest, FLOOR)  # between two queries
        self.most = max(most, self.longest)  # from a submission to its first query
        self.searching = carried is None
        self.observed = carried is not None
        self.seconds = self._bounded(first_guess if carried is None else carried)

    @property
    def learned(self) -> float | None:
        """The duration to keep for the next run: None while nothing was timed."""
        return round(self.seconds, 3) if self.observed else None

    def observe(self, age: float, *, done: bool, first: bool = True) -> None:
        """A query ``age`` seconds after the call's submission found it done or not; only
        first queries count once an analysis was found done."""
        if not first:
            if self.searching and done:
                self.searching, self.observed = False, True
                self.seconds = self._bounded(min(self.seconds, age))
            return
        self.observed = True
        if done:
            if self.searching:  # the first one found done: no longer than that
                self.searching = False
                self.seconds = age
            elif age <= self.seconds * ON_TIME:  # a late query says little about the duration
                self.seconds = min(self.seconds, age) * SHORTER
        else:
            step = SEARCH_STEP if self.searching else LONGER
            self.seconds = max(self.seconds, age * step)
        self.seconds = self._bounded(self.seconds)

    def next_wait(self, age: float, polls: int) -> float:
        """Seconds until the next query of a call found still being analysed at ``age``, by
        the ``polls``-th query since its submission in this run (0: the first)."""
        growth = LONGER if polls <= 1 and not self.searching else GROWTH
        later = min(age * growth, age + self.longest)
        target = later if self.searching or age >= self.seconds else self.seconds
        return min(max(target - age, FLOOR), self.longest)

    def _bounded(self, seconds: float) -> float:
        return min(max(seconds, FLOOR), self.most)
