"""Walking time windows page by page, splitting any window twin24 could not return whole.

The SDK's paginator holds (window, offset); a WindowPlanner chooses each window from the
``count`` of the one before. A window's first page tells its true ``count``: over what offset
paging can reach, the window is split in two and its rows are not used.
When the count moves while a window is paged (a call was updated and left it), offsets have
shifted and the row at the page boundary may have been skipped. Rows are sorted, so that row
is not older than the last row of the page before: the window is read again from that time
(the stream drops the rows it already sent).
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_twin24 import body
from tap_twin24.windows import Window, WindowChangingError, WindowPlanner, WindowTooDenseError

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    import requests

STALLED_RESTARTS = 10
"""Restarts in a row that gain no time before the tap gives up on a window."""
PROGRESS_SECONDS = 30.0
"""How often a long read says how far it got."""


@dataclass(frozen=True)
class CallsPage:
    """One request: a window and an offset into it; ``restart`` when the window is the rest
    of a window read again from a later time (see ``WindowPaginator._restart``)."""

    window: Window
    offset: int = 0
    restart: bool = False


class Progress:
    """One INFO line at most every ``every`` seconds, whatever the number of windows."""

    def __init__(
        self,
        logger: logging.Logger,
        describe: Callable[[], str],
        every: float = PROGRESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.describe, self.every, self.clock = logger, describe, every, clock
        self._due = clock() + every
        self.lines = 0

    def tick(self) -> None:
        """Called after every page: logs when the last line is ``every`` seconds old."""
        now = self.clock()
        if now >= self._due:
            self.logger.info("%s", self.describe())
            self.lines += 1
            self._due = now + self.every


class WindowPaginator(BaseAPIPaginator[CallsPage | None]):
    """Pages through each window the planner gives, offset by offset, until a short or last
    page, and tells the planner what each window held."""

    def __init__(
        self,
        planner: WindowPlanner,
        page_size: int,
        field: str,
        logger: logging.Logger,
        progress: Progress | None = None,
    ) -> None:
        first = planner.next()
        super().__init__(CallsPage(first) if first else None)
        if first is None:
            self._finished = True
        self.planner = planner
        self.page_size = page_size
        self.capacity = planner.capacity
        self.field = field
        self.logger = logger
        self.progress = progress
        self.pages = 0
        """Pages answered (retries of a request not counted)."""
        self._window_count = 0
        self._planned: tuple[Window, int] | None = None  # the planner's window and its count
        self._last_seen: datetime | None = None  # of the last row of the previous page
        self._stalled = 0
        """Restarts of this window in a row that gained no time. Not reset by the first page
        of a restart: that page always comes between two restarts."""

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        """An empty page ends a window, not the sync."""
        return True

    def splits(self, response: requests.Response) -> bool:
        """Whether this page shows its window is too full to page; its rows are not used."""
        page = self.current_value
        return page is not None and page.offset == 0 and self._too_full(response)

    def _too_full(self, response: requests.Response) -> bool:
        return int(body.page(response)["count"]) > self.capacity

    def get_next(self, response: requests.Response) -> CallsPage | None:
        page = self.current_value
        if page is None:
            return None
        self.pages += 1
        if self.progress:
            self.progress.tick()
        payload = body.page(response)
        count, items = payload["count"], payload["items"]
        if page.offset == 0:
            if self._too_full(response):
                return self._split(page.window, count)
            self._window_count = count
            if not page.restart:
                self._planned = (page.window, count)
        elif count != self._window_count:
            return self._restart(page.window, count)
        if len(items) < self.page_size or page.offset + len(items) >= count:
            return self._next_window(page.window)
        self._last_seen = self._moment(items[-1])
        return CallsPage(page.window, page.offset + self.page_size, page.restart)

    def _restart(self, window: Window, count: int) -> CallsPage:
        """Read the window again from the last row before the count moved."""
        since = max(self._last_seen or window.start, window.start)
        self._stalled = self._stalled + 1 if since == window.start else 0
        if self._stalled > STALLED_RESTARTS:
            raise WindowChangingError(window, self.field)
        # The rows of the page just read went out, and with them a bookmark past the call
        # the shift may have skipped: a sync interrupted now would not send that call.
        self.logger.warning(
            "Calls in %s changed while it was read (%d, now %d calls); reading on from %s. "
            "Until this window is read again, progress is not resumable if interrupted: "
            "a resumed sync could miss a call between %s and the bookmark",
            window,
            self._window_count,
            count,
            since.isoformat(),
            since.isoformat(),
        )
        return CallsPage(Window(since, window.end), restart=True)

    def _moment(self, item: object) -> datetime | None:
        value = item.get(self.field) if isinstance(item, dict) else None
        try:
            return datetime.fromisoformat(str(value)).astimezone(UTC) if value else None
        except ValueError:
            return None

    def _split(self, window: Window, count: int) -> CallsPage:
        half = self.planner.split(window)
        if half is None:
            raise WindowTooDenseError(window, count, self.field, self.capacity)
        self.logger.info(
            "%d calls in %s: more than %d, splitting the period in two",
            count,
            window,
            self.capacity,
        )
        self._last_seen = None
        self._stalled = 0
        return CallsPage(half)

    def _next_window(self, window: Window) -> CallsPage | None:
        """The planner's next window, once it knows what the one read held."""
        planned, count = self._planned or (window, self._window_count)
        self.planner.read(planned, count)
        self._planned = None
        self._last_seen = None
        self._stalled = 0
        following = self.planner.next()
        return CallsPage(following) if following else None
