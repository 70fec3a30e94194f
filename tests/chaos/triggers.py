"""How each scenario reaches its fault point: by counting requests, never by waiting.

A scenario whose fault came after some seconds would prove nothing on a fast machine (the run
ends first) and something else on a slow one. So every fault here is set off by a count:

- a fault plan's seeded draw is chosen so that the very first request of a run is faulted
  (:func:`first_faulted`), and every run sends at least one request;
- a twin24 token serves a fixed number of API requests and is refused (HTTP 401, as if it had
  expired) from the next one on (:class:`TokenUses`), so a run renews its token after a count of
  pages, whatever its speed; the tokens' own lifetime stays an hour;
- twin24's login host starts failing from the request after the first login it answered
  (:func:`after_first_login`), not once a watcher notices the login;
- a kill -9 falls after a number of records, or as the emulator receives the n-th request of a
  run (:class:`RequestCount`), not after a number of seconds that a fast run may never last.
"""

from __future__ import annotations

import threading
import typing as t
from collections import Counter

from call_emulator.faults import FaultDice, FaultPlan

if t.TYPE_CHECKING:
    from call_emulator import Emulator, Request, Response
    from call_emulator.twin24.auth import AuthDesk

SEED_SEARCH = 1000
"""Seeds tried, from the asked one on, for a plan whose first draw is a fault."""


def first_roll(plan: FaultPlan) -> str | None:
    """The fault the first request under ``plan`` gets (None: a normal answer)."""
    return FaultDice(plan).roll()


def first_faulted(rate: float, kinds: tuple[str, ...], seed: int, **options: t.Any) -> FaultPlan:
    """A plan with this rate and kinds whose seeded draw faults the first request of a run:
    ``seed`` when its first draw is a fault, else the next seed whose is."""
    if rate <= 0:
        raise ValueError("a plan that never faults cannot fault the first request")
    for candidate in range(seed, seed + SEED_SEARCH):
        plan = FaultPlan(rate, kinds, seed=candidate, **options)
        if first_roll(plan) is not None:
            return plan
    raise ValueError(f"no seed from {seed} on faults the first request at rate {rate}")


class TokenUses:
    """Limits every token an ``AuthDesk`` issues to ``uses`` accepted API requests.

    The next request with a spent token is refused as an expired one is (HTTP 401), so the tap
    must renew it; whether that happens depends on how many pages the run reads, not on how
    fast. ``ran_out`` counts the refusals of spent tokens.
    """

    def __init__(self, auth: AuthDesk, uses: int) -> None:
        if uses < 1:
            raise ValueError("a token must serve at least one request")
        self.uses = uses
        self.served: Counter[str] = Counter()
        self.ran_out = 0
        self._valid = auth.valid
        self._lock = threading.Lock()
        auth.valid = self.valid  # type: ignore[method-assign]

    def valid(self, token: str) -> bool:
        """Genuine and unexpired (as the desk says), and not yet spent."""
        if not self._valid(token):
            return False
        with self._lock:
            if self.served[token] >= self.uses:
                self.ran_out += 1
                return False
            self.served[token] += 1
            return True


def after_first_login(auth: AuthDesk, then: t.Callable[[], None]) -> None:
    """Call ``then`` once, as the desk issues its first token (inside the login's answer, so
    that every later request to the login host meets whatever ``then`` sets up)."""
    issue = auth.issue
    done = threading.Event()

    def issued(email: str, ttl: float) -> dict[str, str]:
        tokens = issue(email, ttl)
        if not done.is_set():
            done.set()
            then()
        return tokens

    auth.issue = issued  # type: ignore[method-assign]


class RequestCount:
    """Counts the requests an emulator receives; calls an armed action as the n-th one comes.

    A kill armed here falls while the emulator holds the n-th request of a run, before
    answering it: a point in the run's work, the same on a fast machine and a slow one.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.requests = 0
        """Requests received since the last :meth:`arm`."""
        self._answer = emulator.answer
        self._at: int | None = None
        self._action: t.Callable[[], None] | None = None
        self._lock = threading.Lock()
        emulator.answer = self.answer  # type: ignore[method-assign]

    def arm(self, at: int | None, action: t.Callable[[], None] | None = None) -> None:
        """Count from 0 again; call ``action`` as request number ``at`` comes (None: never)."""
        with self._lock:
            self.requests, self._at, self._action = 0, at, action

    def disarm(self) -> None:
        """No action any more; :attr:`requests` keeps the count of the run that ended."""
        with self._lock:
            self._at = self._action = None

    def answer(self, request: Request) -> tuple[str | None, Response | None]:
        with self._lock:
            self.requests += 1
            action = self._action if self.requests == self._at else None
        if action is not None:
            action()
        return self._answer(request)
