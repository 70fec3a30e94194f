"""The dialogs bookmark, kept on the client side because the export has no date filter.

Every sync sees every dialog its filters select, finished or not, so "new" can be told from
what the previous sync saw rather than from finish times alone:

- a dialog whose id is above every id seen before is new (ids grow as calls come in);
- a dialog that was still being analysed last time is new once it is finished;
- a dialog that finished after the newest finish time synced is new, or re-analysed;
- a dialog that finished within ``lookback`` before that time, and was not listed then with
  this finish time, is new: it finished while the previous sync was between two requests.

Anything else was already emitted, and is not emitted again.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATE_KEY = "recently_finished"


@dataclass
class Bookmark:
    """What the previous sync saw. Times are RFC 3339 UTC strings of one format."""

    value: str | None
    lookback: timedelta
    recent: dict[int, str] = field(default_factory=dict)
    max_id: int | None = None
    pending: set[int] = field(default_factory=set)  # dialogs seen but not settled
    floor: str | None = None  # start_date: nothing that finished earlier is emitted
    _kept_after_pruning: int = field(default=0, repr=False)

    @property
    def window_start(self) -> str | None:
        if self.value is None:
            return None
        return (datetime.fromisoformat(self.value) - self.lookback).isoformat()

    def admits(self, dialog_id: int, finished_at: str) -> bool:
        """Whether a finished dialog is new since this bookmark (see the module docstring)."""
        if self.floor is not None and finished_at < self.floor:
            return False
        if self.value is None or finished_at > self.value:
            return True
        if (self.max_id is not None and dialog_id > self.max_id) or dialog_id in self.pending:
            return True
        window_start = self.window_start or ""
        return finished_at >= window_start and self.recent.get(dialog_id) != finished_at

    def saw(self, dialog_id: int, finished_at: str | None) -> None:
        """Take in a dialog of this sync, emitted or not.

        ``finished_at`` is None for a dialog not settled yet: still being analysed, or
        finished in the future by its own clock, which must not move the mark past the
        dialogs of today.
        """
        self.max_id = dialog_id if self.max_id is None else max(self.max_id, dialog_id)
        if finished_at is None:
            self.pending.add(dialog_id)
            return
        self.pending.discard(dialog_id)
        if self.value is None or finished_at > self.value:
            self.value = finished_at
        self.recent[dialog_id] = finished_at
        if len(self.recent) > 2 * self._kept_after_pruning + 10_000:
            self._prune()

    def _prune(self) -> None:
        window_start = self.window_start or ""
        self.recent = {i: at for i, at in self.recent.items() if at >= window_start}
        self._kept_after_pruning = len(self.recent)

    def next_sync(self) -> Bookmark:
        """An empty bookmark to record this sync in, keeping the finish-time mark."""
        return Bookmark(self.value, self.lookback, dict(self.recent), self.max_id)

    def state(self) -> dict[str, t.Any]:
        self._prune()
        return {
            "finished_at": self.value,
            "max_dialog_id": self.max_id,
            "pending_dialog_ids": sorted(self.pending),
            "dialogs": {str(i): at for i, at in sorted(self.recent.items())},
        }

    @classmethod
    def from_state(
        cls, saved: t.Mapping[str, t.Any], lookback: timedelta, floor: str | None
    ) -> Bookmark:
        return cls(
            saved.get("finished_at"),
            lookback,
            {int(i): at for i, at in (saved.get("dialogs") or {}).items()},
            saved.get("max_dialog_id"),
            set(saved.get("pending_dialog_ids") or []),
            floor,
        )
