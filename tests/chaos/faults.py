"""Fault rates of 10, 30 and 50 % on every request, of every kind the emulator can inject.

Each request of every kind (logins, pages, tasks, exports, submissions, result queries) draws
one of: 429 with Retry-After, 500/502/503 with an HTML page, a dropped connection, a body cut
at the socket or inside a well-framed response, an answer that comes too late ("slow") and one
that stops half-way ("stall"), both past the tap's 1 s request timeout. With generous retries a
run must deliver everything and exit 0. tap-alovoice may leave calls for a next run by design
(a submission that may have arrived is never sent again in the same run), so its scenario runs
again from the last state until no call is left open; the others must finish in one run.
"""

from __future__ import annotations

import functools
import typing as t

from tests.chaos.outcome import Outcome, Scenario
from tests.chaos.process import run_tap
from tests.chaos.subject import GENEROUS_RETRIES, Delivery, Subject
from tests.chaos.subject_aiokk import AiokkSubject
from tests.chaos.subject_alovoice import AlovoiceSubject
from tests.chaos.subject_twin24 import Twin24Subject
from tests.emulator import ALL_FAULTS, Emulator, FaultPlan

if t.TYPE_CHECKING:
    from pathlib import Path

STALL_SECONDS = 1.5
"""How long "slow" and "stall" hold an answer back: past the 1 s request timeout, and short."""
MAX_RUNS = 6
"""Runs an alovoice scenario may take before calls still open count as a failure."""
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


def run(make: t.Callable[[], Subject], rate: float, name: str, workdir: Path) -> Outcome:
    """Runs (from the last state) until everything is in, or a run fails, or MAX_RUNS."""
    subject = make()
    with Emulator() as emulator:
        config = subject.mount(emulator) | GENEROUS_RETRIES
        delivery = Delivery(subject)
        emulator.faults = FaultPlan(
            rate, ALL_FAULTS, seed=round(rate * 100), retry_after=1, slow_seconds=STALL_SECONDS
        )
        state = None
        for number in range(1, MAX_RUNS + 1):
            last = run_tap(subject.module, config, workdir / f"run-{number}", state=state)
            delivery.take(last)
            state = last.last_state or state
            if last.exit_code != 0 or last.hung or subject.settled(last):
                break
        injected = emulator.faults_injected.snapshot()
    outcome = delivery.outcome(name)
    if last.hung:
        outcome.problems.append(f"run {number} hung: killed after {last.seconds:.0f} s")
    elif last.exit_code != 0:
        reason = (last.error_lines or ["no ERROR line"])[-1]
        outcome.problems.append(f"run {number} exited {last.exit_code}: {reason[-300:]}")
    elif not subject.settled(last):
        outcome.problems.append(f"calls still open after {MAX_RUNS} runs")
    if not injected:
        outcome.problems.append("no fault was injected: the scenario proves nothing")
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(injected.items()))
    outcome.notes.append(f"faults injected: {kinds or 'none'}")
    return outcome
