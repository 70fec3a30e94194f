"""What a run logs at the default level: what it does and how far it is, in a log whose length
does not grow with the calls or records it syncs.

The SDK logs at INFO a METRIC line for each request and for each sync of a stream (its records
and its duration), and two lines each time it syncs a stream ("Beginning sync of 'fragments' ...
with context keys", "Starting incremental sync of 'fragments' ..."). A child stream is synced once
per parent record, page or batch: 500 alovoice calls wrote 5,511 lines, 3,502 of them METRIC
lines and about 2,000 these.
Such a log hides the lines a data engineer reads (retries, warnings, the last line of a
failure) and grows with the data in every log store it goes to.

So, unless the ``log_details`` setting asks for the SDK's lines:

- the SDK's metrics logger (``singer_sdk.metrics``) logs warnings only: no METRIC line;
- each stream logs its first "Beginning sync" and "Starting ... sync" lines, not their repeats
  for its other contexts: the log still names every stream that runs;
- ``Progress`` logs the records written so far, per stream, every ``PROGRESS_EVERY`` seconds,
  also while none come (an export the server builds, analyses not done yet: a quiet log would
  look like a hung run), and the run's totals at its end.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import typing as t

#: Seconds between two progress lines of a run.
PROGRESS_EVERY = 30.0
#: How the SDK's lines for one sync of a stream begin; each stream logs the first of each kind.
SYNC_LINES = ("Beginning sync of ", "Starting incremental sync of ")


class FirstSyncLines(logging.Filter):
    """Lets through a stream logger's first line of each kind in ``SYNC_LINES``, not the ones
    the SDK repeats for every other context of the stream."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        template = record.msg if isinstance(record.msg, str) else ""
        kind = next((start for start in SYNC_LINES if template.startswith(start)), None)
        if kind is None:
            return True
        key = (record.name, kind)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def quiet_metrics(metrics_logger: logging.Logger, *, details: bool) -> None:
    """No METRIC line unless ``details``. The SDK sets its metrics logger's level from the
    ``LOGLEVEL`` variables each time a tap starts; this is called after it."""
    if not details:
        metrics_logger.setLevel(max(metrics_logger.getEffectiveLevel(), logging.WARNING))


def quiet_sync_lines(loggers: t.Iterable[logging.Logger], *, details: bool) -> None:
    """Each of ``loggers`` (one per stream) logs its first sync lines only, unless ``details``.

    Loggers outlive a tap (they belong to the process): a filter that an earlier tap of the same
    process left on them is replaced, so each run logs its own first lines.
    """
    rule = FirstSyncLines()
    for logger in loggers:
        for old in [f for f in logger.filters if isinstance(f, FirstSyncLines)]:
            logger.removeFilter(old)
        if not details:
            logger.addFilter(rule)


def duration(seconds: float) -> str:
    """``45 s``, ``2 min 30 s``, ``1 h 5 min``: a duration as a person reads it in a log."""
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Progress:
    """The records a run has written, per stream, and a line about them every ``every``
    seconds (``PROGRESS_EVERY``): when a record comes after that, or from the ``heartbeat``
    thread while none does. ``clock`` is for tests."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = PROGRESS_EVERY,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        self._started = clock()
        self._next = self._started + every
        self._lock = threading.Lock()
        #: Records written per stream, in the order the streams first sent one.
        self.counts: dict[str, int] = {}

    def record(self, stream: str) -> None:
        """One record of ``stream`` was written; log the progress line when it is due."""
        self.counts[stream] = self.counts.get(stream, 0) + 1
        if self._clock() >= self._next:
            self.tick()

    def tick(self) -> bool:
        """Log the progress line if one is due; whether it did. The heartbeat calls it too, so
        the lock keeps two threads from logging the same line."""
        with self._lock:
            now = self._clock()
            if now < self._next:
                return False
            self._next = now + self._every
            line = self.line(now)
        self._logger.info("%s", line)
        return True

    def line(self, now: float | None = None) -> str:
        """``1,234 records so far (analyses 300, fragments 934), 2 min 30 s``."""
        took = duration((self._clock() if now is None else now) - self._started)
        counts = dict(self.counts)  # a copy: the sync's thread may add a stream meanwhile
        if not counts:
            return f"no records yet, {took}"
        return f"{sum(counts.values()):,} records so far ({_per_stream(counts)}), {took}"

    def summary(self) -> str:
        """``done: 1,234 records in 2 min 30 s: analyses 300, fragments 934``."""
        took = duration(self._clock() - self._started)
        if not self.counts:
            return f"done: no records in {took}"
        return f"done: {self.total:,} records in {took}: {self.per_stream()}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def per_stream(self) -> str:
        return _per_stream(self.counts)


def _per_stream(counts: t.Mapping[str, int]) -> str:
    return ", ".join(f"{stream} {count:,}" for stream, count in counts.items())


@contextlib.contextmanager
def heartbeat(find: t.Callable[[], Progress | None], every: float = 1.0) -> t.Iterator[None]:
    """A daemon thread that asks the run's ``Progress`` (``find``: None until the tap is built)
    for its line every ``every`` seconds while the body runs, and stops with it.

    ``KitTap.invoke`` runs the sync inside it: the SDK's ``sync_all`` is final, and the tap is
    built inside the SDK's ``invoke``, so the thread finds the run's ``Progress`` when it can.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            progress = find()
            if progress is not None:
                progress.tick()

    thread = threading.Thread(target=beat, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
