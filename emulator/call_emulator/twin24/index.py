"""Finds the calls of one request without scanning the account: sorted orders plus a result cache.

A tap reads a 50,000-call hour as 50 pages of 1000; filtering and sorting 200,000 calls per page
would make each page cost a second. Per period field the rows are kept sorted by (time, fixed
key), so a period is two bisects; the last few filtered and sorted row lists are cached, so every
further page of the same query is a slice. Ties always break on the call's fixed key, never on
arrival, so offset paging stays consistent while the data does not change. Row lists are kept
as int arrays, not lists: the garbage collector walks every list item on each full collection,
and three 200,000-item lists made each one cost ~40 ms, in the middle of a page.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable

PERIOD_FIELDS = ("createdAt", "updatedAt", "startedAt")


class CallSource(Protocol):
    """What the index needs from synthetic or given calls (rows are 0..n-1)."""

    n: int
    created: array[int]
    started: array[int]
    updated: array[int]

    def tie(self, row: int) -> int: ...
    def call_id(self, row: int) -> str: ...
    def row_of(self, call_id: str) -> int | None: ...
    def status_of(self, row: int) -> str: ...
    def task_id(self, row: int) -> str: ...
    def phone(self, row: int) -> str: ...
    def sort_key(self, field: str) -> Callable[[int], Any]: ...
    def render(self, row: int) -> dict[str, Any]: ...
    def render_json(self, row: int, wanted: frozenset[str] | None) -> str: ...
    def mutate(self, row: int, clock: int, rng: random.Random) -> None: ...


@dataclass(frozen=True)
class Selection:
    """One query's calls: `low <= field < high` (epoch seconds, None = open) and exact filters."""

    field: str = "createdAt"
    low: int | None = None
    high: int | None = None
    task_ids: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    phones: frozenset[str] | None = None
    sort: str | None = None
    """A field name (ascending) or "-name" (descending); None: the fixed scrambled order."""


class CallIndex:
    """Sorted orders built lazily per period field; call invalidate() after any mutation."""

    def __init__(self, source: CallSource, cache_size: int = 8) -> None:
        self.source = source
        self.cache_size = cache_size
        self._orders: dict[str, tuple[array[int], array[int]]] = {}
        self._cache: OrderedDict[Selection, array[int]] = OrderedDict()
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._orders.clear()
            self._cache.clear()

    def rows(self, selection: Selection) -> array[int]:
        """The matching rows in the served order (a cached array: do not modify it)."""
        with self._lock:
            rows = self._cache.get(selection)
            if rows is not None:
                self._cache.move_to_end(selection)
                return rows
            rows = self._select(selection)
            self._cache[selection] = rows
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return rows

    def _order(self, field: str) -> tuple[array[int], array[int]]:
        """(rows sorted by (field, tie), the field's values in that order) for bisecting."""
        order = self._orders.get(field)
        if order is None:
            source = self.source
            column = source.sort_key(field)
            tie = source.tie
            rows = array("q", sorted(range(source.n), key=lambda r: (column(r) << 48) + tie(r)))
            order = self._orders[field] = (rows, array("q", map(column, rows)))
        return order

    def _select(self, s: Selection) -> array[int]:
        source = self.source
        if s.field not in PERIOD_FIELDS:
            raise ValueError(f"not a period field: {s.field}")
        if s.ids is not None:
            found = (source.row_of(call_id) for call_id in s.ids)
            column = source.sort_key(s.field)
            rows: Iterable[int] = [
                r
                for r in found
                if r is not None
                and (s.low is None or column(r) >= s.low)
                and (s.high is None or column(r) < s.high)
            ]
        else:
            ordered, values = self._order(s.field)
            first = 0 if s.low is None else bisect.bisect_left(values, s.low)
            last = len(values) if s.high is None else bisect.bisect_left(values, s.high)
            rows = ordered[first : max(first, last)]
        if s.task_ids is not None:
            rows = [r for r in rows if source.task_id(r) in s.task_ids]
        if s.statuses is not None:
            rows = [r for r in rows if source.status_of(r) in s.statuses]
        if s.phones is not None:
            rows = [r for r in rows if source.phone(r) in s.phones]
        return self._sorted(rows, s)

    def _sorted(self, rows: Iterable[int], s: Selection) -> array[int]:
        if s.sort == s.field and s.ids is None:
            return array("q", rows)  # already in (field, tie) order
        ordered = sorted(rows, key=self.source.tie)
        if s.sort is not None:
            descending = s.sort.startswith("-")
            key = self.source.sort_key(s.sort.lstrip("-"))
            # Stable, also with reverse=True: ties keep the fixed key's ascending order.
            ordered.sort(key=lambda r: _nulls_first(key(r)), reverse=descending)
        return array("q", ordered)


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)
