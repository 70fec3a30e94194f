"""Cheap deterministic hashes, uuids and timestamps shared by the twin24 emulator modules.

200,000 synthetic calls are never stored as dicts, so every stable per-call value (its id, its
phone, its dialog uuid) is a pure function of a few integers; splitmix64 makes that a handful of
integer operations instead of seeding a random.Random per value.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

M48 = (1 << 48) - 1
M64 = (1 << 64) - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def mix64(x: int) -> int:
    """splitmix64's finalizer: a well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def uuid_text(high: int, low: int) -> str:
    """A version-4-looking uuid from two 64-bit ints; its last group is `low`'s 48 low bits."""
    h = f"{high & M64:016x}{low & M64:016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[low >> 62 & 3]}{h[17:20]}-{h[20:]}"


_VARIANT = "89ab"


_CLOCK = tuple(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))
_DAYS: dict[int, str] = {}
# Not functools.lru_cache: its entries are tracked by the garbage collector, and 2 x 65,536 of
# them made every full collection cost ~20 ms. This dict holds only ints and strings.


def _day(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    return text


def call_stamp(epoch: int) -> str:
    """The calls' timestamp style: UTC, whole seconds, "2022-06-29T08:44:26.000000Z"."""
    day, second = divmod(epoch, 86400)
    return f"{_DAYS.get(day) or _day(day)}{_CLOCK[second]}.000000Z"


def message_stamp(epoch: int) -> str:
    """The transcript lines' style: "2022-06-29T08:44:39Z"."""
    day, second = divmod(epoch, 86400)
    return f"{_DAYS.get(day) or _day(day)}{_CLOCK[second]}Z"


def js_stamp(epoch: int) -> str:
    """The cis host's style (a JavaScript toISOString): "2025-03-01T10:00:00.000Z"."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def epoch_of(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime (naive ones are taken as UTC), rounded down."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(seconds=1)


def ceil_epoch(moment: datetime) -> int:
    """The first whole epoch second at or after `moment` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return -(-(moment - EPOCH) // timedelta(seconds=1))


def moment_of(epoch: int) -> datetime:
    return EPOCH + timedelta(seconds=epoch)


def parse_epoch(text: object) -> int | None:
    """Epoch seconds (rounded down) of an ISO stamp such as a given item's createdAt, or None."""
    try:
        return epoch_of(datetime.fromisoformat(str(text)))
    except ValueError:
        return None
