"""Time windows over the synced range: twin24 returns at most 50,000 calls per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from singer_sdk.exceptions import FatalAPIError

PERIOD_CAP = 50_000
"""The most rows twin24 returns for one requested period; the rest silently disappear."""


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


def plan(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """Consecutive windows of ``size`` from ``start`` to ``end``, the last one shorter."""
    windows = []
    while start < end:
        windows.append(Window(start, min(start + size, end)))
        start = windows[-1].end
    return windows


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
