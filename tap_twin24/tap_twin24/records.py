"""Turning twin24's call items into records with exact types and RFC 3339 UTC timestamps.

twin24 sends ``price`` as a string, timestamps as UTC with ``Z`` (calls) or without fractions
(transcript lines), and may leave any field out when it was not asked for in ``fields``.
"""

from __future__ import annotations

import json
import typing as t
from datetime import UTC, datetime

TIMESTAMPS = ("createdAt", "updatedAt", "startedAt")
INTEGERS = ("duration", "regionId", "timezone", "botDuration", "operatorDuration")
BOOLEANS = ("transferredToOperator", "isFinished")
STRINGS = (
    "dialogId",
    "phone",
    "taskId",
    "taskName",
    "botId",
    "botName",
    "status",
    "responder",
    "shortNumber",
    "linkToLog",
    "recordPath",
    "externalId",
    "additional",
    "dialogResults",
    "nps",
    "messagesAsString",
)
CALL_FIELDS = ("id", *TIMESTAMPS, *INTEGERS, *BOOLEANS, "price", *STRINGS)
"""The vendor fields a ``calls`` record holds (``messages`` goes to ``call_messages``)."""


class MalformedCallError(ValueError):
    """A call item without a usable ``id`` or period field: it cannot be keyed or bookmarked."""


def utc(value: object) -> str | None:
    """An ISO 8601 timestamp as RFC 3339 in UTC with microseconds, so strings sort as times.

    A value without an offset is taken as UTC (twin24 sends UTC). Raises ValueError.
    """
    if value is None or value == "":
        return None
    text = str(value)
    moment = datetime.fromisoformat(text)  # also checks the value
    if text[-1] == "Z" and text[10] == "T" and len(text) in (20, 27):  # already RFC 3339 UTC
        return text[:19] + (text[19:26] if len(text) == 27 else ".000000") + "+00:00"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def call_record(
    item: t.Mapping[str, t.Any], period_field: str
) -> tuple[dict[str, t.Any], list[str]]:
    """The ``calls`` record for one item, and what had to be left empty in it."""
    call_id = item.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise MalformedCallError(f"a call without an id (id={call_id!r})")
    record: dict[str, t.Any] = {"id": call_id}
    problems: list[str] = []
    for name in TIMESTAMPS:
        if name in item:
            record[name] = _convert(item[name], utc, name, problems)
    if record.get(period_field) is None:
        raise MalformedCallError(f"call {call_id} has no usable {period_field}")
    for name in INTEGERS:
        if name in item:
            record[name] = _convert(item[name], _integer, name, problems)
    for name in BOOLEANS:
        if name in item:
            record[name] = _convert(item[name], _boolean, name, problems)
    if "price" in item:
        record["price"] = _convert(item["price"], _number, "price", problems)
    for name in STRINGS:
        if name in item:
            value = item[name]
            record[name] = value if value is None or isinstance(value, str) else _text(value)
    return record, problems


def message_rows(
    item: t.Mapping[str, t.Any], record: t.Mapping[str, t.Any]
) -> list[dict[str, t.Any]]:
    """One ``call_messages`` row per transcript line, numbered from 1 in spoken order."""
    lines = item.get("messages")
    if not isinstance(lines, list):
        return []
    rows = []
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            continue
        try:
            created_at = utc(line.get("created_at"))
        except ValueError:
            created_at = None
        rows.append(
            {
                "call_id": record["id"],
                "position": position,
                "author": _string(line.get("author")),
                "text": _string(line.get("text")),
                "created_at": created_at,
                "call_updated_at": record.get("updatedAt"),
            }
        )
    return rows


def _convert(
    value: object, convert: t.Callable[[t.Any], t.Any], name: str, problems: list[str]
) -> t.Any:
    if value is None or (type(value) is int and convert is _integer):
        return value
    try:
        return convert(value)
    except (TypeError, ValueError):
        problems.append(f"{name}={value!r} is not a valid {convert.__name__.strip('_')}")
        return None


def _string(value: object) -> str | None:
    """A value twin24 documents as a string, whatever it sent (a line "42" may come as 42)."""
    return value if value is None or isinstance(value, str) else _text(value)


def _text(value: object) -> str:
    """A value twin24 documents as a string but sent otherwise, as JSON text."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value
    number = float(str(value))
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(str(value).replace(",", "."))


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise ValueError(value)
