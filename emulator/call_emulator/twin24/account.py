"""The twin24 API as a test vendor: one account served by three hosts (iam, analyse, cis).

twin24 splits auth (iam), call statistics (analyse) and call tasks (cis) over three hosts that
share one login, so the account holds the state and exposes one Vendor per host; mount them at
"/twin24/iam", "/twin24/analyse" and "/twin24/cis". The calls endpoint reproduces what makes a
twin24 tap hard: offset paging that stops at 50,000 records per period while `count` still tells
the truth, many calls sharing one second, statuses that change after a call first appears, and
JWTs that expire. Ground truth and mutations are methods of the account.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..tally import Tally
from .auth import AuthDesk, FromAuth
from .given import GivenCalls
from .hosts import AnalyseHost, CisHost, IamHost
from .index import CallIndex, CallSource, Selection
from .keys import ceil_epoch, epoch_of, moment_of
from .synth import Layout, SyntheticCalls
from .tasks import Task, build_tasks, task_from_json, tasks_from_items

if TYPE_CHECKING:
    from array import array

    from .query import CallQuery

CAP = 50_000
DEFAULT_EMAIL = "robot@twin24.example"
DEFAULT_PASSWORD = "twin24-password"
DEFAULT_START = datetime(2025, 3, 1, tzinfo=UTC)


class Twin24Account:
    """One twin24 account: calls, tasks and a user; mount .iam, .analyse and .cis."""

    clock: int
    logins = FromAuth()
    refreshes = FromAuth()
    failed_logins = FromAuth()
    unauthorized = FromAuth()
    """Requests to analyse or cis refused with 401 (no, forged or expired token)."""
    max_token_ttl = FromAuth()
    """Cap on token lifetimes in seconds, fractions allowed; None (default): no cap."""

    def __init__(
        self,
        calls: int = 1000,
        seed: int = 1,
        *,
        start: datetime = DEFAULT_START,
        span: timedelta = timedelta(days=7),
        burst: int = 0,
        burst_hour: datetime | None = None,
        second_burst: int = 0,
        second_at: datetime | None = None,
        tasks: int = 6,
        email: str = DEFAULT_EMAIL,
        password: str = DEFAULT_PASSWORD,
    ) -> None:
        first = epoch_of(start)
        hour = epoch_of(burst_hour) if burst_hour else (first + 86400) // 3600 * 3600
        self.burst_hour = moment_of(hour)
        """The hour holding the `burst` calls (createdAt and updatedAt both inside it)."""
        second = epoch_of(second_at) if second_at else hour + 1800
        self.second_at = moment_of(second)
        """The second holding all `second_burst` calls (all three timestamps equal to it)."""
        self.tasks: tuple[Task, ...] = build_tasks(seed, tasks, first)
        span_s = int(span.total_seconds())
        layout = Layout(first, span_s, calls, burst, hour, second_burst, second)
        self._setup(SyntheticCalls(seed, self.tasks, layout), seed, email, password)
        self.clock = max(self.clock, first + span_s)

    @classmethod
    def from_items(
        cls,
        items: Iterable[Mapping[str, Any]] | Mapping[str, Any],
        tasks: Iterable[Mapping[str, Any]] | None = None,
        *,
        email: str = DEFAULT_EMAIL,
        password: str = DEFAULT_PASSWORD,
    ) -> Twin24Account:
        """An account serving exactly these raw items (or a whole {"count", "items"} body)."""
        source = GivenCalls(items["items"] if isinstance(items, Mapping) else items)
        account = cls.__new__(cls)
        account.burst_hour = account.second_at = DEFAULT_START
        account.tasks = (
            tuple(task_from_json(t) for t in tasks) if tasks else tasks_from_items(source.items)
        )
        account._setup(source, 0, email, password)
        return account

    def _setup(self, source: CallSource, seed: int, email: str, password: str) -> None:
        self.seed = seed
        self._source = source
        self._index = CallIndex(source)
        self._lock = threading.RLock()
        self._updates = 0
        self.auth = AuthDesk(email, password)
        self.iam, self.analyse, self.cis = IamHost(self), AnalyseHost(self), CisHost(self)
        self.cap_mode = "empty"
        """Past the cap: "empty" (200, no items, true count) or "400" (HTTP 400)."""
        self.inclusive_to = False
        """True: `to` is inclusive too (a tap must survive either)."""
        self.cap_hits = 0
        """Requests with offset + limit > 50,000 (a tap that splits periods never makes one)."""
        self.cap_losses = 0
        """Of those, the ones that hid calls (offset < count)."""
        self.max_offset_seen = 0
        self.requests: Tally[tuple[str, str | None, str | None]] = Tally()
        """Calls-endpoint requests keyed by (filterPeriodBy, from, to) as sent."""
        self.clock = epoch_of(self.end_moment())
        """Server "now" (epoch seconds) for mutations: later than every updatedAt."""

    # --- credentials and auth counters -------------------------------------------------------

    @property
    def email(self) -> str:
        return next(iter(self.auth.users))

    @property
    def password(self) -> str:
        return self.auth.users[self.email]

    def set_user(self, email: str, password: str) -> None:
        """Replace the account's only user (issued tokens stay valid until they expire)."""
        self.auth.users = {email: password}

    # --- ground truth ------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._source.n

    def _rows(
        self, start: datetime | None, end: datetime | None, field: str, tasks: Any, statuses: Any
    ) -> array[int]:
        """Rows with start <= field < end, in (field, fixed key) order."""
        return self._index.rows(
            Selection(
                field,
                None if start is None else ceil_epoch(start),
                None if end is None else ceil_epoch(end),
                None if tasks is None else frozenset(tasks),
                None if statuses is None else frozenset(statuses),
                sort=field,
            )
        )

    def truth(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        field: str = "updatedAt",
        task_ids: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Every call with start <= field < end as served now, keyed by id, in field order."""
        with self._lock:
            rows = self._rows(start, end, field, task_ids, statuses)
            items = map(self._source.render, rows)
            return {str(item.get("id")): item for item in items}

    def ids(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        field: str = "updatedAt",
        task_ids: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> list[str]:
        """Like truth() but only the ids (no rendering: cheap for 200,000 calls)."""
        with self._lock:
            rows = self._rows(start, end, field, task_ids, statuses)
            return [self._source.call_id(r) for r in rows]

    def call(self, call_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._source.row_of(call_id)
            if row is None:
                raise KeyError(call_id)
            return self._source.render(row)

    def task_ids(self) -> list[str]:
        return [task.id for task in self.tasks]

    def first_moment(self) -> datetime:
        """The earliest createdAt (so also at or before every startedAt and updatedAt)."""
        created = self._source.created
        return moment_of(min(created)) if created else DEFAULT_START

    def end_moment(self) -> datetime:
        """One second after the latest updatedAt: an exclusive end bounding every call."""
        updated = self._source.updated
        return moment_of(max(updated) + 1) if updated else DEFAULT_START

    # --- mutations ---------------------------------------------------------------------------

    def update(self, share: float = 0.01, *, seed: int | None = None) -> list[str]:
        """Move `share` of the calls on (later status or new details) at a new, later updatedAt;
        returns their ids. All of one batch share one second; the clock then advances 1 s."""
        with self._lock:
            self._updates += 1
            n = self._source.n
            count = min(n, max(1, round(share * n))) if n else 0
            salt = -self._updates if seed is None else seed
            rng = random.Random(f"twin24-update:{self.seed}:{salt}")
            return self._mutate(rng.sample(range(n), count), rng)

    def update_ids(self, call_ids: Iterable[str]) -> list[str]:
        """Move these calls on, like update() does for a random share."""
        with self._lock:
            self._updates += 1
            rows = []
            for call_id in call_ids:
                row = self._source.row_of(call_id)
                if row is None:
                    raise KeyError(call_id)
                rows.append(row)
            return self._mutate(rows, random.Random(f"twin24-ids:{self.seed}:{self._updates}"))

    def _mutate(self, rows: list[int], rng: random.Random) -> list[str]:
        self.clock = max(self.clock, epoch_of(self.end_moment()))
        for row in rows:
            self._source.mutate(row, self.clock, rng)
        self.clock += 1
        self._index.invalidate()
        return [self._source.call_id(row) for row in rows]

    # --- serving ---------------------------------------------------------------------------

    def page(self, q: CallQuery) -> tuple[int, list[str]] | None:
        """(true count, the page's items as JSON) for the analyse host; None: the cap's 400."""
        self.requests.add((q.period, q.raw_from, q.raw_to))
        low, high = q.bounds(self.inclusive_to)
        selection = Selection(q.period, low, high, q.task_ids, q.statuses, q.ids, q.phones, q.sort)
        with self._lock:
            self.max_offset_seen = max(self.max_offset_seen, q.offset)
            rows = self._index.rows(selection)
            if q.offset + q.limit <= CAP:
                page = rows[q.offset : q.offset + q.limit]
                return len(rows), [self._source.render_json(row, q.fields) for row in page]
            self.cap_hits += 1
            self.cap_losses += q.offset < len(rows)
            return None if self.cap_mode == "400" else (len(rows), [])
