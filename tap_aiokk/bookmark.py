"""The dialogs bookmark, kept on the client side because the export has no date filter."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

STATE_KEY = "dialogs_at_bookmark"


@dataclass
class Bookmark:
    """The newest finish time synced, and the dialogs that finished in exactly that second.

    ``finishDate`` has one-second precision, so a dialog can finish in the bookmark's second
    after the previous sync read the export: ``>`` would lose it and ``>=`` would send the
    others again. Remembering the ids at the bookmark avoids both.
    Values are RFC 3339 UTC strings of one format, so they compare as strings.
    """

    value: str | None = None
    ids_at_value: set[int] = field(default_factory=set)

    @classmethod
    def from_state(cls, value: str | None, state: t.Mapping[str, t.Any]) -> Bookmark:
        saved = state.get(STATE_KEY) or {}
        same = value is not None and saved.get("finished_at") == value
        return cls(value, set(saved.get("dialog_ids", [])) if same else set())

    def admits(self, finished_at: str, dialog_id: int) -> bool:
        """Whether a finished dialog is new since this bookmark."""
        if self.value is None or finished_at > self.value:
            return True
        return finished_at == self.value and dialog_id not in self.ids_at_value

    def advance(self, finished_at: str, dialog_id: int) -> None:
        if self.value is None or finished_at > self.value:
            self.value, self.ids_at_value = finished_at, {dialog_id}
        elif finished_at == self.value:
            self.ids_at_value.add(dialog_id)

    def copy(self) -> Bookmark:
        return Bookmark(self.value, set(self.ids_at_value))

    def save(self, state: dict[str, t.Any]) -> None:
        if self.value is not None:
            state[STATE_KEY] = {
                "finished_at": self.value,
                "dialog_ids": sorted(self.ids_at_value),
            }
