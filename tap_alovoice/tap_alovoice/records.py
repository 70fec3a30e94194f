"""Rows of the three streams, built from one call's answer.

The vendor documents the shapes by one example only, so every value is checked: one of an
unexpected type is left empty, and the caller logs the problem once per call.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

Row = dict[str, t.Any]
Answer = t.Mapping[str, t.Any]


class Problems(list[str]):
    """What did not fit in a call's answer, in words, to be logged once per call;
    ``show_values``: whether they quote the values (not when they may be personal data that
    ``personal_data`` keeps out)."""

    def __init__(self, *, show_values: bool = True) -> None:
        super().__init__()
        self.show_values = show_values

    def note(self, where: str, value: object) -> None:
        shown = repr(value) if self.show_values else f"of type {type(value).__name__}"
        self.append(f"{where}: unexpected value {shown}; left empty")


def analysis_row(
    call_id: str,
    status: str,
    answer: Answer | None,
    *,
    error: str | None,
    collected_at: str,
    problems: Problems,
) -> Row:
    """The `analyses` row: one per call, replaced when its status changes."""
    answer = answer or {}
    done = status == "done"
    return {
        "call_id": call_id,
        "status": status,
        "aicallid": _text(answer.get("aicallid"), "aicallid", problems),
        "begin_time": _unix_time(answer.get("begin_time"), problems),
        "stereoaudio": _text(answer.get("stereoaudio"), "stereoaudio", problems),
        "error": error,
        "fragment_count": len(_items(answer, "stalk")) if done else None,
        "tag_count": len(_items(answer, "tags")) if done else None,
        "collected_at": collected_at,
    }


def fragment_rows(call_id: str, answer: Answer, collected_at: str, problems: Problems) -> list[Row]:
    """One row per transcript fragment (`stalk`), in the order alovoice lists them."""
    rows = []
    for position, fragment in enumerate(_items(answer, "stalk", problems), start=1):
        where = f"stalk[{position}]"
        fragment_id = _text(fragment.get("fragment_id"), f"{where}.fragment_id", problems)
        rows.append(
            {
                # A fragment without an id still needs a key; this one cannot collide with hex ids.
                "fragment_id": fragment_id or f"{call_id}:{position}",
                "call_id": call_id,
                "position": position,
                "begin_ms": _integer(fragment.get("begin"), f"{where}.begin", problems),
                "end_ms": _integer(fragment.get("end"), f"{where}.end", problems),
                "direction": _text(fragment.get("direction"), f"{where}.direction", problems),
                "text": _text(fragment.get("text"), f"{where}.text", problems),
                "collected_at": collected_at,
            }
        )
    return rows


def tag_rows(call_id: str, answer: Answer, collected_at: str, problems: Problems) -> list[Row]:
    """One row per tag, in alovoice's order; a rule that did not match has an empty value."""
    rows = []
    for position, tag in enumerate(_items(answer, "tags", problems), start=1):
        where = f"tags[{position}]"
        value = _text(tag.get("value"), f"{where}.value", problems)
        rows.append(
            {
                "call_id": call_id,
                "position": position,
                "name": _text(tag.get("name"), f"{where}.name", problems),
                "value": value,
                "matched": bool(value),
                "visible": _boolean(tag.get("visible"), f"{where}.visible", problems),
                "tag_type": _text(tag.get("tag_type"), f"{where}.tag_type", problems),
                "begin_ms": _integer(tag.get("begin"), f"{where}.begin", problems),
                "end_ms": _integer(tag.get("end"), f"{where}.end", problems),
                "match_text": _text(tag.get("match_text"), f"{where}.match_text", problems),
                "fragment_id": _text(tag.get("fragment_id"), f"{where}.fragment_id", problems),
                "collected_at": collected_at,
            }
        )
    return rows


def _items(
    answer: Answer, key: str, problems: Problems | None = None
) -> list[t.Mapping[str, t.Any]]:
    """The objects listed under ``key``; with ``problems``, what is left out is noted there."""
    value = answer.get(key)
    if not isinstance(value, list):
        if value is not None and problems is not None:
            kind = "an object" if isinstance(value, dict) else type(value).__name__
            problems.append(f"{key}: not a list but {kind}; left out")
        return []
    items: list[t.Mapping[str, t.Any]] = [item for item in value if isinstance(item, dict)]
    if problems is not None and len(items) < len(value):
        problems.append(f"{key}: {len(value) - len(items)} items that are not objects; left out")
    return items


def _text(value: object, where: str, problems: Problems) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    problems.note(where, value)
    return None


def _integer(value: object, where: str, problems: Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if number.is_integer():
        return int(number)
    problems.note(where, value)
    return None


def _boolean(value: object, where: str, problems: Problems) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    spelled = str(value).strip().lower()
    if spelled in {"true", "1", "yes"}:
        return True
    if spelled in {"false", "0", "no"}:
        return False
    problems.note(where, value)
    return None


def _unix_time(value: object, problems: Problems) -> str | None:
    """Unix seconds as RFC 3339 in UTC, so no target can read them in a local zone."""
    seconds = _integer(value, "begin_time", problems)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        problems.note("begin_time", value)
        return None
