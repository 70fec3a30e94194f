"""Thread-safe counters the tests read while the emulator serves from other threads.

Tests assert on how often a tap called the API (retries, one request per filter value) and on
how many faults were injected; both are written by the server's handler threads, hence the lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Tally(Generic[K]):
    """A counter keyed by any hashable value, safe to update from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[K] = Counter()

    def add(self, key: K, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def __getitem__(self, key: K) -> int:
        with self._lock:
            return self._counts[key]

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def snapshot(self) -> dict[K, int]:
        """A copy of the counts, safe to inspect while the server keeps counting."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.snapshot()!r})"


class RequestLog(Tally[tuple[str, str]]):
    """Requests received, keyed by (method, path as sent, without the query string)."""

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests matching the method and/or the exact path (None matches any)."""
        return sum(
            n
            for (m, p), n in self.snapshot().items()
            if (method is None or m == method.upper()) and (path is None or p == path)
        )
