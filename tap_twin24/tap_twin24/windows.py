"""Time windows over the synced range: twin24 returns at most 50,000 calls per period.

A request costs the same whether its period holds no call or thousands, so the windows follow
the data (see ``WindowPlanner``): a quiet stretch is crossed in a few long windows, a busy one
in windows short enough to stay under the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from singer_sdk.exceptions import FatalAPIError

PERIOD_CAP = 50_000
"""The most rows twin24 returns for one requested period; the rest silently disappear."""


def reach(page_size: int) -> int:
    """Rows offset paging reaches in one period: offset + limit may not pass the cap."""
    return PERIOD_CAP // page_size * page_size


@dataclass(frozen=True)
class Window:
    """A half-open period [start, end) of the ``filter_period_by`` field."""

    start: datetime
    end: datetime

    def split(self) -> tuple[Window, Window] | None:
        """Two halves on a whole second, or None when the window is a second or less.

        twin24's timestamps have whole seconds, so a finer split could not separate calls.
        """
        seconds = int((self.end - self.start).total_seconds()) // 2
        if seconds < 1:
            return None
        middle = self.start + timedelta(seconds=seconds)
        return Window(self.start, middle), Window(middle, self.end)

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


LONGEST = timedelta(days=366)
"""The longest window the planner grows to; twin24 documents no limit, a year is plenty."""


class WindowPlanner:
    """Chooses each window from the ``count`` twin24 reported for the window before it.

    The rule, on whole seconds (``window_hours`` gives ``first``):

    - the first window is ``first`` long;
    - after a window holding at most a quarter of ``capacity`` calls (empty ones included), the
      next one is twice as long, up to ``longest``;
    - after one holding more than half of ``capacity``, the next one is half as long, but not
      shorter than ``first`` (nor than the window itself, when a split made it shorter);
    - otherwise the next one is as long;
    - a window holding more than ``capacity`` is split in two, and its first half is read
      instead (never below one second), until a part fits.

    Windows are contiguous and half-open: each starts where the last one read ended, so a
    moment on a boundary belongs to exactly one window.
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        first: timedelta,
        capacity: int,
        longest: timedelta = LONGEST,
    ) -> None:
        self.start, self.cursor, self.end, self.capacity = start, start, end, capacity
        self.shortest = max(1, int(first.total_seconds()))
        self.longest = max(self.shortest, int(longest.total_seconds()))
        self.seconds = self.shortest
        self.windows = 0
        """Windows read to their end."""
        self.splits = 0

    def next(self) -> Window | None:
        """The window to read next, or None when the range is read."""
        if self.cursor >= self.end:
            return None
        return Window(self.cursor, min(self.cursor + timedelta(seconds=self.seconds), self.end))

    def split(self, window: Window) -> Window | None:
        """The first half of ``window``, which held more than ``capacity``; None below 1 s."""
        halves = window.split()
        if halves is None:
            return None
        self.splits += 1
        self.seconds = _seconds(halves[0])
        return halves[0]

    def read(self, window: Window, count: int) -> None:
        """``window`` is read to its end, and its first page said it held ``count`` calls."""
        self.windows += 1
        self.cursor = max(self.cursor, window.end)
        seconds = _seconds(window)
        if count <= self.capacity // 4:
            self.seconds = min(2 * seconds, self.longest)
        elif count > self.capacity // 2:
            self.seconds = max(seconds // 2, min(self.shortest, seconds))
        else:
            self.seconds = seconds
        self.seconds = max(1, self.seconds)

    def share_read(self) -> float:
        """How much of the range is read, from 0 to 1."""
        total = (self.end - self.start).total_seconds()
        return 1.0 if total <= 0 else min(1.0, (self.cursor - self.start).total_seconds() / total)


def _seconds(window: Window) -> int:
    return max(1, int((window.end - window.start).total_seconds()))


class WindowTooDenseError(FatalAPIError):
    """A window that holds more calls than twin24 can return and cannot be split further."""

    def __init__(self, window: Window, count: int, field: str, capacity: int) -> None:
        reach = f"the {PERIOD_CAP} it returns for one period"
        if capacity < PERIOD_CAP:
            reach = f"the {capacity} that pages of page_size rows reach within {reach}"
        super().__init__(
            f"twin24 has {count} calls with {field} in {window}, more than {reach}, and the "
            "period cannot be split below one second; these calls cannot be exported completely"
        )


class WindowChangingError(FatalAPIError):
    """A window whose calls change faster than its first page can be read."""

    def __init__(self, window: Window, field: str) -> None:
        super().__init__(
            f"the calls in {window} kept changing while they were read, so offset paging "
            f"cannot read them completely; sync this period again later (by {field})"
        )
