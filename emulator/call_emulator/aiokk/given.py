"""Serves a fixed list of raw aiokk dialogs verbatim (e.g. the vendor's own example record).

A tap's parsing is only proven against the vendor's real record, not against our synthetic idea
of it; this source lets a test push the documented example through the whole tap unchanged.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .filters import DialogKeys, keys_of, matches
from .gen import Override, local_iso

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping


def _local(text: Any) -> datetime | None:
    """A naive local datetime from finishDate or call.date, or None when absent or unparsable."""
    try:
        return datetime.fromisoformat(str(text)).replace(tzinfo=None)
    except ValueError:
        return None


def _given_id(dialog: Mapping[str, Any], position: int) -> int:
    dialog_id = (dialog.get("call") or {}).get("dialogId")
    return -position if dialog_id is None else int(dialog_id)


class GivenDialogs:
    """Dialogs given as parsed JSON, served in dialogId order, with overrides applied on top."""

    def __init__(self, dialogs: Iterable[Mapping[str, Any]]) -> None:
        # A dialog without an id (a malformed record, for tests) is keyed by minus its position.
        by_id = {
            _given_id(d, position): copy.deepcopy(dict(d)) for position, d in enumerate(dialogs, 1)
        }
        self._dialogs = dict(sorted(by_id.items()))

    def ids(self) -> list[int]:
        return list(self._dialogs)

    def has(self, dialog_id: int) -> bool:
        return dialog_id in self._dialogs

    def horizon(self) -> datetime:
        """A day after the latest finishDate or call date found (a later-than-all "now")."""
        moments = [
            moment
            for d in self._dialogs.values()
            for moment in (
                _local((d.get("analytics") or {}).get("finishDate")),
                _local((d.get("call") or {}).get("date")),
            )
            if moment is not None
        ]
        default = datetime(2025, 5, 1)  # noqa: DTZ001 (naive local, as the moments are)
        return max(moments, default=default) + timedelta(days=1)

    def values(self, kind: str) -> list[Any]:
        """The filter values present in the given dialogs."""
        keys = [keys_of(d) for d in self._dialogs.values()]
        if kind == "department":
            return sorted({int(k.department) for k in keys if k.department.isdigit()})
        if kind == "operator":
            return sorted({k.operator for k in keys})
        if kind == "question_pack":
            return sorted({k.question_pack for k in keys if k.question_pack is not None})
        if kind == "signals":
            return sorted({word for k in keys for word in k.signals})
        raise KeyError(kind)

    def keys(self, dialog_id: int, override: Override | None) -> DialogKeys:
        if override is None:
            return keys_of(self._dialogs[dialog_id])
        return keys_of(self.build(dialog_id, override))

    def select(
        self, kind: str, value: int | str, overrides: Mapping[int, Override]
    ) -> Iterator[int]:
        """Ids of the dialogs that the export `kind` = `value` returns, in id order."""
        for dialog_id in self.ids():
            if matches(kind, value, self.keys(dialog_id, overrides.get(dialog_id))):
                yield dialog_id

    def build(self, dialog_id: int, override: Override | None) -> dict[str, Any]:
        dialog = copy.deepcopy(self._dialogs[dialog_id])
        if override is not None:
            analytics = dialog.setdefault("analytics", {})
            analytics["status"] = 3
            analytics["finishDate"] = local_iso(override.finish_date)
            if override.revision:
                note = f"Повторный анализ №{override.revision}."
                analytics["summary"] = f"{analytics.get('summary') or ''} {note}".strip()
        return dialog
