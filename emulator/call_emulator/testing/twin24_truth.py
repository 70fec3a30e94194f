"""What tap-twin24 must emit for the calls the emulator serves: its records, built by hand.

Written apart from the tap's own conversion, so a test compares two implementations.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime


def utc(value: str | None) -> str | None:
    if value is None:
        return None
    moment = datetime.strptime(value.replace("Z", "+0000"), _format(value))  # noqa: DTZ007 (%z is in _format)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _format(value: str) -> str:
    return "%Y-%m-%dT%H:%M:%S.%f%z" if "." in value else "%Y-%m-%dT%H:%M:%S%z"


def call_record(item: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The calls record for a served item: same names, UTC timestamps, price as a number."""
    record = {name: value for name, value in item.items() if name != "messages"}
    for name in ("createdAt", "updatedAt", "startedAt"):
        if name in record:
            record[name] = utc(record[name])
    if record.get("price") is not None:
        record["price"] = float(record["price"])
    return record


def message_rows(item: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    return [
        {
            "call_id": item["id"],
            "position": position,
            "author": line["author"],
            "text": line["text"],
            "created_at": utc(line["created_at"]),
            "call_updated_at": utc(item["updatedAt"]),
        }
        for position, line in enumerate(item.get("messages") or [], start=1)
    ]


def by_id(records: t.Iterable[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Records keyed by id, failing on a duplicate: a sync emits each call version once."""
    keyed: dict[str, dict[str, t.Any]] = {}
    for record in records:
        assert record["id"] not in keyed, f"call {record['id']} emitted twice"
        keyed[record["id"]] = record
    return keyed
