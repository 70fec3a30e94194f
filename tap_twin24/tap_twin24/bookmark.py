"""The calls bookmark and its ties: which calls a sync sends, so that each goes out once.

twin24's times have whole seconds and many calls can share one, while its ``from`` is
inclusive: a sync that starts at the bookmark reads again the calls sent at exactly that time.
So the state lists them next to the bookmark (``ids_at_bookmark``), and the rules are:

- a call at the bookmark's very time whose id is listed was sent by the previous sync: not
  sent again; any other call of that second is new, and so is a listed call that has moved on
  to a later time (it was updated);
- the list always names the calls sent at the newest time sent, in the order they went out, so
  that a state written at any point (between two pages, or when the sync is interrupted)
  resumes exactly;
- a call is sent by the window that asked for it only: a call on a window's edge belongs to
  the window it starts (windows are half-open), whether or not twin24 counts ``to`` in;
- within a stretch of time, a call read a second time (a window read again after its count
  moved, see ``pagination``) is not sent again.

Pure logic: the stream feeds it the records of each page, the SDK's bookmark moves as they go
out, and ``note`` keeps the list in step.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

if t.TYPE_CHECKING:
    from tap_twin24.windows import Window

TIES_KEY = "ids_at_bookmark"
"""State key: ids of the calls emitted at exactly the bookmark's time, not to be sent again."""

OUTSIDE = "outside their window (sent by the neighbouring one)"
READ_TWICE = "read twice in a changing window"
SENT_BEFORE = "sent by the previous sync at the bookmark's time"
"""Why a call is not sent, as the sync's summary line counts them."""


def iso(moment: datetime) -> str:
    """A time as the records write it: RFC 3339 in UTC, with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Bookmark:
    """Where a sync starts, the calls the previous one sent at that time, and the ties since.

    ``state`` is the SDK's writable state of the stream or partition: its ``TIES_KEY`` is
    written at once (the ties of the start, should nothing go out) and kept in step by
    ``note``, the SDK writing the bookmark itself next to it.
    """

    def __init__(self, state: dict[str, t.Any], field: str, start: datetime) -> None:
        self.field = field
        self.start = iso(start)
        listed = state.get(TIES_KEY) if state.get("replication_key_value") else None
        self.sent_at_start = frozenset(listed or [])
        """Ids the previous sync sent at ``start``; without a bookmark there are none."""
        self._state = state
        self._value = self.start
        self._ids = state[TIES_KEY] = sorted(self.sent_at_start)

    def sent_before(self, record: t.Mapping[str, t.Any]) -> bool:
        """Whether the previous sync sent this very call at this very time."""
        return record[self.field] == self.start and record["id"] in self.sent_at_start

    def note(self, record: t.Mapping[str, t.Any]) -> None:
        """The SDK moved the bookmark to ``record``: list it among the calls of its time."""
        value = record[self.field]
        if value != self._value:
            self._value, self._ids = value, []
            self._state[TIES_KEY] = self._ids
        self._ids.append(record["id"])  # once each: the Sieve de-duplicates before this


class Sieve:
    """Says which calls of a page go out: each once, inside its window, not again after the
    bookmark. One per sync (per partition), fed the pages in the order they are read."""

    def __init__(self, bookmark: Bookmark) -> None:
        self.bookmark = bookmark
        self._seen: set[tuple[str, str]] = set()
        self._window: Window | None = None

    def new_page(self, window: Window) -> None:
        """A page of ``window`` is read next.

        A new stretch of time forgets the calls seen. A window read again from a later time
        (or the first part of it, when it had to be split) overlaps the last one and keeps them.
        """
        if self._window is None or window.start >= self._window.end:
            self._seen = set()
        self._window = window

    def skip(self, record: t.Mapping[str, t.Any], window: Window) -> str | None:
        """Why ``record``, read in ``window``, is not sent (``OUTSIDE`` …); None to send it."""
        value = record[self.bookmark.field]
        if not window.holds(datetime.fromisoformat(value)):
            return OUTSIDE
        key = (record["id"], value)
        if key in self._seen:
            return READ_TWICE
        self._seen.add(key)
        if self.bookmark.sent_before(record):
            return SENT_BEFORE
        return None
