"""twin24 call statuses: their mix in synthetic data and how a call moves on after it appeared.

SCHEDULED, DIAL and INPROGRESS are not final, and failed attempts are retried, so a call read once
changes later with a new updatedAt; that is what a tap's incremental sync must pick up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

STATUSES = (
    "ANSWERED",
    "NOANSWER",
    "BUSY",
    "CANCEL",
    "CONGESTION",
    "CHANUNAVAIL",
    "FAILED",
    "SCHEDULED",
    "BLACKLIST",
    "DIAL",
    "INPROGRESS",
    "INVALID",
    "UNAVAILABLE",
    "EXPIRED",
    "REJECTED",
)
_SHARES = (45, 17, 8, 3, 2, 3, 2, 4, 1, 2, 2, 2, 4, 3, 2)
STATUS_CUMULATIVE = tuple(sum(_SHARES[: k + 1]) / sum(_SHARES) for k in range(len(_SHARES)))
CODE = {status: code for code, status in enumerate(STATUSES)}

UNFINISHED = frozenset({"SCHEDULED", "DIAL", "INPROGRESS"})
"""isFinished is false: the call will change."""
CONNECTED = frozenset({"ANSWERED", "INPROGRESS"})
"""Someone (or a machine) picked up: a duration, a transcript, a price."""
RETRIED = frozenset({"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "UNAVAILABLE"})
"""Failed attempts the platform may retry; a later attempt can be answered."""

_NEXT = {
    "SCHEDULED": (("DIAL", 0.2), ("ANSWERED", 0.5), ("NOANSWER", 0.2), ("BUSY", 0.1)),
    "DIAL": (("ANSWERED", 0.6), ("NOANSWER", 0.2), ("BUSY", 0.1), ("INPROGRESS", 0.1)),
    "INPROGRESS": (("ANSWERED", 1.0),),
}


def next_status(status: str, rng: random.Random) -> str:
    """The status after one more event: unfinished calls progress, retried ones may connect."""
    choices = _NEXT.get(status)
    if choices is not None:
        draw = rng.random()
        for candidate, share in choices:
            draw -= share
            if draw < 0:
                return candidate
        return choices[-1][0]
    if status in RETRIED and rng.random() < 0.5:
        return "ANSWERED"
    return status  # a final status: the same call with new details (price, dialogResults)
