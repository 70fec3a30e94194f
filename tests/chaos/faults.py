"""Fault rates of 10, 30 and 50 % on every request, of every kind the emulator can inject.

Each request of every kind (logins, pages, tasks, exports, submissions, result queries) draws
one of: 429 with Retry-After, 500/502/503 with an HTML page, a dropped connection, a body cut
at the socket or inside a well-framed response, an answer that comes too late ("slow") and one
that stops half-way ("stall"), both past the tap's 1 s request timeout. With generous retries a
run must deliver everything and exit 0, in one run: tap-alovoice settles a submission that may
have arrived by asking alovoice in the same run, so it leaves no call open either.

Each rate's seeded draw is chosen so that the first request of a run is faulted (see
tests/chaos/triggers.py): a run injects a fault by construction, however few requests it sends.
"""

from __future__ import annotations

import functools
import typing as t

from call_emulator import ALL_FAULTS, Emulator, FaultPlan
from tests.chaos.outcome import Outcome, Scenario
from tests.chaos.process import run_tap
from tests.chaos.subject import GENEROUS_RETRIES, LOG_DETAILS, Delivery, Subject
from tests.chaos.subject_aiokk import AiokkSubject
from tests.chaos.subject_alovoice import AlovoiceSubject
from tests.chaos.subject_twin24 import Twin24Subject
from tests.chaos.triggers import first_faulted

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import FaultPlan

STALL_SECONDS = 1.5
"""How long "slow" and "stall" hold an answer back: past the 1 s request timeout, and short."""
SEED = 7


Variant = tuple[str, str, t.Callable[[], Subject], tuple[float, ...]]
"""tap, label, the subject, fault rates."""
AIOKK, TWIN24, ALOVOICE = AiokkSubject.tap, Twin24Subject.tap, AlovoiceSubject.tap


def scenarios(fast: bool) -> list[Scenario]:
    variants: list[Variant]
    if fast:  # smaller accounts and fewer requests: make test runs these
        variants = [
            (AIOKK, "", functools.partial(AiokkSubject, SEED, 150, every_filter=False), (0.3,)),
            (TWIN24, "", functools.partial(Twin24Subject, SEED, 1500, page_size=200), (0.3,)),
            (ALOVOICE, "", functools.partial(AlovoiceSubject, SEED, 40), (0.3,)),
        ]
    else:
        rates = (0.1, 0.3, 0.5)
        token = functools.partial(Twin24Subject, SEED, ready_token=True)
        split = functools.partial(Twin24Subject, SEED, 1000, burst=50_100, page_size=1000)
        variants = [
            (AIOKK, "", functools.partial(AiokkSubject, SEED), rates),
            (TWIN24, "", functools.partial(Twin24Subject, SEED), rates),
            (TWIN24, ", ready token", token, (0.3,)),
            (TWIN24, ", 51,100 calls: split", split, (0.3,)),  # one window over 50,000 calls
            (ALOVOICE, "", functools.partial(AlovoiceSubject, SEED), rates),
        ]
    found = []
    for tap, label, make, variant_rates in variants:
        for rate in variant_rates:
            name = f"faults {round(rate * 100)}%{label}"
            found.append(Scenario(tap, name, functools.partial(run, make, rate, name)))
    return found


def plan(rate: float) -> FaultPlan:
    """The plan of a rate: every kind, the rate's own seed (or the next one) whose first draw is
    a fault."""
    return first_faulted(
        rate, ALL_FAULTS, round(rate * 100), retry_after=1, slow_seconds=STALL_SECONDS
    )


def run(make: t.Callable[[], Subject], rate: float, name: str, workdir: Path) -> Outcome:
    """One run from no state, which must deliver everything and leave nothing open."""
    subject = make()
    with Emulator() as emulator:
        config = subject.mount(emulator) | GENEROUS_RETRIES | LOG_DETAILS
        delivery = Delivery(subject)
        emulator.faults = plan(rate)
        last = run_tap(subject.module, config, workdir / "run-1")
        delivery.take(last)
        injected = emulator.faults_injected.snapshot()
    outcome = delivery.outcome(name)
    if last.hung:
        outcome.problems.append(f"the run hung: killed after {last.seconds:.0f} s")
    elif last.exit_code != 0:
        reason = (last.error_lines or ["no ERROR line"])[-1]
        outcome.problems.append(f"the run exited {last.exit_code}: {reason[-300:]}")
    elif not subject.settled(last):
        outcome.problems.append("calls still open after the run")
    outcome.injected = sum(injected.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(injected.items()))
    outcome.notes.append(f"faults injected: {kinds or 'none'}")
    return outcome
