"""The dialogs bookmark, kept on the client side because the export has no date filter."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATE_KEY = "recently_finished"


@dataclass
class Bookmark:
    """The newest finish time synced, and every dialog that finished in a window behind it.

    One sync sends several export requests. A dialog can finish between two of them: missing
    from the first answer while a later answer already holds a newer dialog. A plain
    high-water mark would skip it for good, so the state also names each dialog (with its
    finish time) that finished within ``lookback`` of the mark. Next time, a finished dialog in
    that window that is not named, or named with another finish time, is new; one named with
    the same finish time is not sent again.
    Values are RFC 3339 UTC strings of one format, so they compare as strings.
    """

    value: str | None
    lookback: timedelta
    recent: dict[int, str] = field(default_factory=dict)
    _kept_after_pruning: int = field(default=0, repr=False)

    @property
    def window_start(self) -> str | None:
        if self.value is None:
            return None
        return (datetime.fromisoformat(self.value) - self.lookback).isoformat()

    def covers(self, finished_at: str) -> bool:
        """Whether a finish time lies in the window behind the mark, or on it."""
        window_start = self.window_start
        return (
            window_start is not None
            and self.value is not None
            and (window_start <= finished_at <= self.value)
        )

    def admits(self, dialog_id: int, finished_at: str) -> bool:
        """Whether a finished dialog is new since this bookmark."""
        if self.value is None or finished_at > self.value:
            return True
        window_start = self.window_start
        if window_start is None or finished_at < window_start:
            return False
        return self.recent.get(dialog_id) != finished_at

    def advance(self, dialog_id: int, finished_at: str) -> None:
        """Take in a finished dialog seen in this sync, whether sent or not."""
        if self.value is None or finished_at > self.value:
            self.value = finished_at
        self.recent[dialog_id] = finished_at
        if len(self.recent) > 2 * self._kept_after_pruning + 10_000:
            self._prune()

    def _prune(self) -> None:
        window_start = self.window_start or ""
        self.recent = {i: at for i, at in self.recent.items() if at >= window_start}
        self._kept_after_pruning = len(self.recent)

    def state(self) -> dict[str, t.Any]:
        """The state entry: the mark and the dialogs in the window behind it."""
        self._prune()
        return {
            "finished_at": self.value,
            "dialogs": {str(i): at for i, at in sorted(self.recent.items())},
        }

    def copy(self) -> Bookmark:
        return Bookmark(self.value, self.lookback, dict(self.recent))

    @classmethod
    def from_state(cls, saved: t.Mapping[str, t.Any], lookback: timedelta) -> Bookmark:
        dialogs = saved.get("dialogs") or {}
        return cls(saved["finished_at"], lookback, {int(i): at for i, at in dialogs.items()})
