"""Serves a fixed list of raw twin24 calls verbatim (e.g. the vendor's own example response).

A tap's parsing is only proven against the vendor's real items, not against our synthetic idea of
them. Given items keep their order when no sort is asked for, so the example body comes back
exactly as documented; a mutation edits the stored copy like the vendor would.
"""

from __future__ import annotations

import copy
import json
from array import array
from typing import TYPE_CHECKING, Any

from .keys import call_stamp, parse_epoch
from .status import next_status

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable, Mapping


class GivenCalls:
    """Rows 0..n-1 are the items in the given order; timestamps are indexed in whole seconds."""

    def __init__(self, items: Iterable[Mapping[str, Any]]) -> None:
        self.items = [copy.deepcopy(dict(item)) for item in items]
        self.n = len(self.items)
        self.created, self.started, self.updated = array("q"), array("q"), array("q")
        for item in self.items:
            # An unparsable or missing stamp is indexed as the epoch: found only by open periods.
            created = parse_epoch(item.get("createdAt")) or 0
            self.created.append(created)
            self.started.append(parse_epoch(item.get("startedAt")) or created)
            self.updated.append(parse_epoch(item.get("updatedAt")) or created)
        self._rows = {str(item.get("id")): row for row, item in enumerate(self.items)}

    def tie(self, row: int) -> int:
        return row

    def call_id(self, row: int) -> str:
        return str(self.items[row].get("id"))

    def row_of(self, call_id: str) -> int | None:
        return self._rows.get(call_id)

    def status_of(self, row: int) -> str:
        return str(self.items[row].get("status"))

    def task_id(self, row: int) -> str:
        return str(self.items[row].get("taskId"))

    def phone(self, row: int) -> str:
        return str(self.items[row].get("phone"))

    def sort_key(self, field: str) -> Callable[[int], Any]:
        columns = {"createdAt": self.created, "startedAt": self.started, "updatedAt": self.updated}
        if field in columns:
            return columns[field].__getitem__
        return lambda row: self.items[row].get(field)

    def render(self, row: int) -> dict[str, Any]:
        return copy.deepcopy(self.items[row])

    def render_json(self, row: int, wanted: frozenset[str] | None) -> str:
        item = self.items[row]
        if wanted is not None:
            item = {name: value for name, value in item.items() if name in wanted}
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))

    def mutate(self, row: int, clock: int, rng: random.Random) -> None:
        """A later status (or the same one) and a new updatedAt; the rest stays as given."""
        item = self.items[row]
        status = item.get("status")
        if isinstance(status, str):
            item["status"] = next_status(status, rng)
        item["updatedAt"] = call_stamp(clock)
        self.updated[row] = clock
