"""Validates twin24 query strings the way a NestJS ValidationPipe would, strictly.

A tap that sends an unencoded "+" in an offset, a naive date, limit=5000 or a misspelt field must
fail loudly here rather than silently read the wrong calls, so each of these is a 400 with a
class-validator style message list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .auth import BadRequestError
from .index import PERIOD_FIELDS
from .keys import EPOCH
from .render import FIELDS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})", re.IGNORECASE
)
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class CallQuery:
    fields: frozenset[str] | None
    period: str
    start_us: int | None
    """`from` in epoch microseconds (inclusive), None when absent."""
    end_us: int | None
    """`to` in epoch microseconds (exclusive, or inclusive when the account says so)."""
    sort: str | None
    task_ids: frozenset[str] | None
    statuses: frozenset[str] | None
    ids: frozenset[str] | None
    phones: frozenset[str] | None
    limit: int
    offset: int
    """Effective offset: offset + (page - 1) * limit."""
    raw_from: str | None
    raw_to: str | None

    def bounds(self, inclusive_to: bool) -> tuple[int | None, int | None]:
        """[low, high) in whole epoch seconds: calls are stamped on whole seconds."""
        low = None if self.start_us is None else -(-self.start_us // 10**6)
        if self.end_us is None:
            return low, None
        high = self.end_us // 10**6 + 1 if inclusive_to else -(-self.end_us // 10**6)
        return low, high


def _single(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequestError(f"{name} must be a single value")
    return values[0]


def _integer(query: Mapping[str, Sequence[str]], name: str, default: int, least: int) -> int:
    text = _single(query, name)
    if text is None or text == "":
        return default
    if not _INTEGER.fullmatch(text):
        raise BadRequestError(f"{name} must be an integer number")
    value = int(text)
    if value < least:
        raise BadRequestError(f"{name} must not be less than {least}")
    return value


def paging(query: Mapping[str, Sequence[str]]) -> tuple[int, int]:
    """(limit, offset) with limit 1..1000 (default 100) and offset >= 0 (default 0)."""
    limit = _integer(query, "limit", DEFAULT_LIMIT, 1)
    if limit > MAX_LIMIT:
        raise BadRequestError(f"limit must not be greater than {MAX_LIMIT}")
    return limit, _integer(query, "offset", 0, 0)


def parse_moment(name: str, text: str) -> int:
    """Epoch microseconds of an ISO 8601 date-time with an offset ("Z" or "+03:00")."""
    moment = None
    if _MOMENT.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequestError(
            f"{name} must be a valid ISO 8601 date string with a time zone offset"
        )
    return (moment - EPOCH) // timedelta(microseconds=1)


def _values(query: Mapping[str, Sequence[str]], name: str) -> frozenset[str] | None:
    """A repeated and/or comma-separated filter; None when absent or empty."""
    values = {part.strip() for raw in query.get(name, ()) for part in raw.split(",")}
    values.discard("")
    return frozenset(values) if values else None


def calls_query(query: Mapping[str, Sequence[str]]) -> CallQuery:
    fields = _values(query, "fields")
    unknown = sorted((fields or frozenset()) - set(FIELDS))
    if unknown:
        raise BadRequestError(*(f"Unknown field: {name}" for name in unknown))
    period = _single(query, "filterPeriodBy") or "createdAt"
    if period not in PERIOD_FIELDS:
        raise BadRequestError(
            "filterPeriodBy must be one of the following values: " + ", ".join(PERIOD_FIELDS)
        )
    sort = _single(query, "sort") or None
    if sort is not None and sort.removeprefix("-") not in FIELDS:
        raise BadRequestError("sort must be an item field, optionally prefixed with -")
    raw_from, raw_to = _single(query, "from") or None, _single(query, "to") or None
    limit, offset = paging(query)
    page = _integer(query, "page", 1, 1)
    return CallQuery(
        fields=fields,
        period=period,
        start_us=None if raw_from is None else parse_moment("from", raw_from),
        end_us=None if raw_to is None else parse_moment("to", raw_to),
        sort=sort,
        task_ids=_values(query, "taskId"),
        statuses=_values(query, "status"),
        ids=_values(query, "id"),
        phones=_values(query, "phone"),
        limit=limit,
        offset=offset + (page - 1) * limit,
        raw_from=raw_from,
        raw_to=raw_to,
    )
