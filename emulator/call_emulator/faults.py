"""Seeded fault injection: the failures a tap must survive, on demand and reproducibly.

Real vendor APIs rate-limit, fail behind proxies, drop connections and cut long streams. A test
sets a FaultPlan and the server draws, per request, whether and how to misbehave; the draw uses a
seeded random.Random under a lock so a run with the same plan and request order is repeatable.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from .messages import HTML_TYPE, TEXT_TYPE, Response

STATUS_FAULTS = ("429", "500", "502", "503")
"""Answer with this status instead of the real answer."""
TRUNCATE_FAULTS = ("truncate", "truncate_framed")
"""Spoil the real answer: cut at the socket, or cut the body inside a well-framed response."""
ALL_FAULTS = (*STATUS_FAULTS, "drop", *TRUNCATE_FAULTS, "slow", "stall")
""""slow" waits before the answer; "stall" sends half the body, then waits, then the rest."""

_PAGES = {
    "500": ("500 Internal Server Error", "Internal Server Error"),
    "502": ("502 Bad Gateway", "Bad Gateway"),
    "503": ("503 Service Temporarily Unavailable", "Сервис не доступен"),
}


@dataclass(frozen=True)
class FaultPlan:
    """With probability `rate` per request, apply one kind drawn from `kinds`."""

    rate: float
    kinds: tuple[str, ...] = ALL_FAULTS
    seed: int = 0
    retry_after: int = 1
    slow_seconds: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {self.rate}")
        unknown = sorted(set(self.kinds) - set(ALL_FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {ALL_FAULTS}")
        if self.rate > 0 and not self.kinds:
            raise ValueError("a positive rate needs at least one fault kind")


class FaultDice:
    """The per-plan random draw, shared by all handler threads."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed)
        self._lock = threading.Lock()

    def roll(self) -> str | None:
        """The fault kind to apply to the next request, or None for a normal answer."""
        with self._lock:
            if self._rng.random() >= self.plan.rate:
                return None
            return self._rng.choice(self.plan.kinds)


def status_fault_response(kind: str, retry_after: int) -> Response:
    """The canned answer for a status fault, looking like a rate limiter or a proxy page."""
    if kind == "429":
        response = Response.text("429 Too Many Requests: retry later\n", 429, TEXT_TYPE)
        response.headers["Retry-After"] = str(retry_after)
        return response
    title, text = _PAGES[kind]
    html = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response.text(html, int(kind), HTML_TYPE)
