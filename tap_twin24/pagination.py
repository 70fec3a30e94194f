"""Walking time windows page by page, splitting any window twin24 could not return whole.

The SDK's paginator holds (window, offset). A window's first page tells its true ``count``:
over what offset paging can reach, the window is split in two and its rows are not used.
When the count moves while a window is paged (a call was updated and left it), offsets have
shifted and the row at the page boundary may have been skipped. Rows are sorted, so that row
is not older than the last row of the page before: the window is read again from that time
(the stream drops the rows it already sent).
"""

from __future__ import annotations

import logging
import typing as t
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from singer_sdk.pagination import BaseAPIPaginator

from tap_twin24 import body
from tap_twin24.windows import PERIOD_CAP, Window, WindowChangingError, WindowTooDenseError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests

STALLED_RESTARTS = 10
"""Restarts in a row that gain no time before the tap gives up on a window."""


@dataclass(frozen=True)
class CallsPage:
    """One request: a window, an offset into it, and how often the window was restarted."""

    window: Window
    offset: int = 0


class WindowPaginator(BaseAPIPaginator[CallsPage | None]):
    """Pages through each window in turn, offset by offset, until a short or last page."""

    def __init__(
        self, windows: Iterable[Window], page_size: int, field: str, logger: logging.Logger
    ) -> None:
        self._queue = deque(windows)
        first = self._queue.popleft() if self._queue else None
        super().__init__(CallsPage(first) if first else None)
        if first is None:
            self._finished = True
        self.page_size = page_size
        # Rows offset paging can reach in one window: offset + limit may not pass the cap.
        self.capacity = PERIOD_CAP // page_size * page_size
        self.field = field
        self.logger = logger
        self._window_count = 0
        self._last_seen: datetime | None = None  # of the last row of the previous page
        self._stalled = 0

    def continue_if_empty(self, response: requests.Response) -> bool:
        """An empty page ends a window, not the sync."""
        return True

    def splits(self, response: requests.Response) -> bool:
        """Whether this page shows its window is too full to page; its rows are not used."""
        page = self.current_value
        return page is not None and page.offset == 0 and self._too_full(response)

    def _too_full(self, response: requests.Response) -> bool:
        return body.page(response)["count"] > self.capacity

    def get_next(self, response: requests.Response) -> CallsPage | None:
        page = self.current_value
        if page is None:
            return None
        payload = body.page(response)
        count, items = payload["count"], payload["items"]
        if page.offset == 0:
            if self._too_full(response):
                return self._split(page.window, count)
            self._window_count = count
        elif count != self._window_count:
            return self._restart(page.window, count)
        self._stalled = 0
        if len(items) < self.page_size or page.offset + len(items) >= count:
            self.logger.info(
                "Read %s: %d calls; %d windows to go", page.window, count, len(self._queue)
            )
            return self._next_window()
        self._last_seen = self._moment(items[-1])
        return CallsPage(page.window, page.offset + self.page_size)

    def _restart(self, window: Window, count: int) -> CallsPage:
        """Read the window again from the last row before the count moved."""
        since = max(self._last_seen or window.start, window.start)
        self._stalled = self._stalled + 1 if since == window.start else 0
        if self._stalled > STALLED_RESTARTS:
            raise WindowChangingError(window, self.field)
        self.logger.warning(
            "Calls in %s changed while it was read (%d, now %d calls); reading on from %s",
            window,
            self._window_count,
            count,
            since.isoformat(),
        )
        return CallsPage(Window(since, window.end))

    def _moment(self, item: object) -> datetime | None:
        value = item.get(self.field) if isinstance(item, dict) else None
        try:
            return datetime.fromisoformat(str(value)).astimezone(UTC) if value else None
        except ValueError:
            return None

    def _split(self, window: Window, count: int) -> CallsPage:
        halves = window.split()
        if halves is None:
            raise WindowTooDenseError(window, count, self.field, self.capacity)
        self.logger.info(
            "%d calls in %s: more than %d, splitting the period in two",
            count,
            window,
            self.capacity,
        )
        self._queue.appendleft(halves[1])
        self._last_seen = None
        return CallsPage(halves[0])

    def _next_window(self) -> CallsPage | None:
        self._last_seen = None
        return CallsPage(self._queue.popleft()) if self._queue else None
