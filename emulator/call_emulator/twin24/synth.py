"""Synthetic twin24 calls stored as parallel integer arrays, ~30 bytes a call.

Tests need 120,000-200,000 calls with whole hours (and single seconds) holding more than the
vendor's 50,000-per-period cap. Only the three timestamps, status, task and revision are stored;
ids are a keyed 48-bit permutation of the row number (so an id maps back to its row without a
dict), and the full item is rendered on demand by render.py.
"""

from __future__ import annotations

import bisect
import random
from array import array
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from . import texts as tx
from .keys import M48, mix64, uuid_text
from .render import CallFacts, render_call, render_json
from .status import CODE, STATUS_CUMULATIVE, STATUSES, UNFINISHED, next_status

if TYPE_CHECKING:
    from collections.abc import Callable

    from .tasks import Task


@dataclass(frozen=True)
class Layout:
    """Where the calls lie in time (epoch seconds)."""

    start: int
    span: int
    calls: int
    burst: int = 0
    burst_hour: int = 0
    second_burst: int = 0
    second_at: int = 0


class SyntheticCalls:
    """Rows 0..n-1: `calls` spread over the span, then the burst hour, then the burst second."""

    def __init__(self, seed: int, tasks: tuple[Task, ...], layout: Layout) -> None:
        if not tasks:
            raise ValueError("a synthetic account needs at least one task")
        self.seed, self.tasks = seed, tasks
        self.n = layout.calls + layout.burst + layout.second_burst
        self.created, self.started, self.updated = array("q"), array("q"), array("q")
        self.status, self.task, self.rev = array("B"), array("H"), array("I")
        self._k1 = mix64(seed ^ 0x71) & M48
        self._k2 = mix64(seed ^ 0x72) & M48
        self._a = mix64(seed ^ 0x73) & M48 | 1
        self._a_inverse = pow(self._a, -1, 1 << 48)
        self._salt = mix64(seed ^ 0x74)
        self._clients = max(1, self.n * 2 // 3)  # a client is called ~1.5 times on average
        self.company = 1000 + seed % 9000
        self._generate(layout)

    # --- generation ----------------------------------------------------------------------

    def _generate(self, layout: Layout) -> None:
        rng = random.Random(f"twin24-calls:{self.seed}")
        weights = list(accumulate(t.weight for t in self.tasks))
        task_cumulative = [w / weights[-1] for w in weights]
        last_task = len(self.tasks) - 1
        end = layout.start + layout.span
        groups = (
            (layout.calls, layout.start, layout.span, end - 1),
            (layout.burst, layout.burst_hour, 3600, layout.burst_hour + 3599),
            (layout.second_burst, layout.second_at, 1, layout.second_at),
        )
        for count, first, width, latest in groups:
            for _ in range(count):
                created = first + int(width * rng.random())
                status = min(bisect.bisect(STATUS_CUMULATIVE, rng.random()), len(STATUSES) - 1)
                started, updated = _times(rng, created, STATUSES[status])
                updated = min(updated, latest)
                self.created.append(created)
                self.started.append(min(started, updated))
                self.updated.append(updated)
                self.status.append(status)
                self.task.append(min(bisect.bisect(task_cumulative, rng.random()), last_task))
                self.rev.append(0)

    # --- per-row facts (all O(1), no rendering) --------------------------------------------

    def tie(self, row: int) -> int:
        """The call's fixed scrambled key: breaks ordering ties and is its id's last group."""
        return ((row ^ self._k1) * self._a + self._k2) & M48

    def call_id(self, row: int) -> str:
        return self._id_of_key(self.tie(row))

    def _id_of_key(self, key: int) -> str:
        high = mix64(key ^ self._salt)
        return uuid_text(high, (mix64(high) & ~M48) | key)

    def row_of(self, call_id: str) -> int | None:
        try:
            key = int(call_id.rsplit("-", 1)[-1], 16)
        except ValueError:
            return None
        row = (((key - self._k2) * self._a_inverse) & M48) ^ self._k1
        return row if row < self.n and self.call_id(row) == call_id else None

    def status_of(self, row: int) -> str:
        return STATUSES[self.status[row]]

    def task_of(self, row: int) -> Task:
        return self.tasks[self.task[row]]

    def task_id(self, row: int) -> str:
        return self.tasks[self.task[row]].id

    def _client(self, key: int) -> int:
        """The called person: a few calls share one, so phones repeat like real retries."""
        return mix64(key ^ self._salt ^ 0xC11E) % self._clients

    def _phone_of_client(self, client: int) -> str:
        return f"79{mix64(client ^ self._salt) % 10**9:09d}"

    def phone(self, row: int) -> str:
        return self._phone_of_client(self._client(self.tie(row)))

    def sort_key(self, field: str) -> Callable[[int], Any]:
        """A key function for `sort=field`; fields not stored are rendered (slow but exact)."""
        columns = {"createdAt": self.created, "startedAt": self.started, "updatedAt": self.updated}
        if field in columns:
            return columns[field].__getitem__
        cheap: dict[str, Callable[[int], Any]] = {
            "id": self.call_id,
            "status": self.status_of,
            "taskId": self.task_id,
            "taskName": lambda r: self.task_of(r).name,
            "botId": lambda r: self.task_of(r).bot_id,
            "botName": lambda r: self.task_of(r).bot_name,
            "phone": self.phone,
        }
        return cheap.get(field) or (lambda row: self.render(row).get(field))

    def _facts(self, row: int) -> CallFacts:
        key = self.tie(row)
        client = self._client(key)
        high = mix64(key ^ self._salt)
        low = mix64(high)
        return CallFacts(
            call_id=uuid_text(high, (low & ~M48) | key),
            key=low,
            draw=mix64(low ^ (self.rev[row] + 1) << 48),
            created=self.created[row],
            started=self.started[row],
            updated=self.updated[row],
            status=STATUSES[self.status[row]],
            task=self.tasks[self.task[row]],
            phone=self._phone_of_client(client),
            region=tx.REGIONS[client % len(tx.REGIONS)],
            company=self.company,
        )

    def render(self, row: int) -> dict[str, Any]:
        return render_call(self._facts(row))

    def render_json(self, row: int, wanted: frozenset[str] | None) -> str:
        return render_json(self._facts(row), wanted)

    # --- mutation --------------------------------------------------------------------------

    def mutate(self, row: int, clock: int, rng: random.Random) -> None:
        """One more event for this call at `clock`: a later status or new details."""
        old = STATUSES[self.status[row]]
        if old in UNFINISHED:  # the attempt happens now
            self.started[row] = max(self.started[row], clock - rng.randint(30, 300))
        self.status[row] = CODE[next_status(old, rng)]
        self.rev[row] += 1
        self.updated[row] = clock


def _times(rng: random.Random, created: int, status: str) -> tuple[int, int]:
    """(startedAt, updatedAt): most calls start within two minutes, some hours later."""
    if status == "SCHEDULED":
        return created, created + int(5 * rng.random())
    delay = 120 if rng.random() < 0.8 else 4 * 3600
    started = created + int(delay * rng.random())
    if status == "ANSWERED":
        return started, started + 8 + int(300 * rng.random())
    if status == "INPROGRESS":
        return started, started + 10 + int(120 * rng.random())
    return started, started + int(40 * rng.random())
