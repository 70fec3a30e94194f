"""What a correct aiokk sync must deliver, worked out from the emulator's raw dialogs.

Deliberately independent of the tap's own code: it reads the raw shapes directly.
"""

from __future__ import annotations

import typing as t

Raw = t.Mapping[str, t.Any]


def dialog_id(raw: Raw) -> int:
    return int(raw["call"]["dialogId"])


def is_finished(raw: Raw) -> bool:
    return bool((raw.get("analytics") or {}).get("finishDate"))


def finished(dialogs: t.Iterable[Raw]) -> dict[int, Raw]:
    return {dialog_id(raw): raw for raw in dialogs if is_finished(raw)}


def criteria_keys(dialogs: t.Iterable[Raw]) -> set[tuple[int, int, int]]:
    """(dialog id, criterion number, mark) for every criterion of every finished dialog."""
    keys: set[tuple[int, int, int]] = set()
    for raw in dialogs:
        evaluation = raw["analytics"].get("evaluationCriteria") or {}
        for key, value in evaluation.items():
            if key.startswith("criterion"):
                number = int(key.removeprefix("criterion"))
                keys.add((dialog_id(raw), number, value[f"mark{number}"]))
    return keys


def signal_keys(dialogs: t.Iterable[Raw]) -> set[tuple[int, int, str]]:
    """(dialog id, 1-based position, word) for every mentioned signal of every finished dialog."""
    keys: set[tuple[int, int, str]] = set()
    for raw in dialogs:
        signals = raw["analytics"].get("signals") or {}
        text = signals.get("mentionedSignals") or ""
        words = [word for word in text.split(", ") if word]
        assert len(words) == signals.get("count", 0), "emulator broke its own count rule"
        keys.update((dialog_id(raw), i, word) for i, word in enumerate(words, start=1))
    return keys
