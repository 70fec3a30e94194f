"""kill -9 at random points: every run resumes from the last state the killed one wrote.

A chain is one fresh account and the runs a scheduler would start on it: each killed with
SIGKILL after a random number of records, or as the emulator receives a random one of the run's
requests (one to four kills), then runs until
one exits 0 with nothing left open. What counts of a killed run is what a Meltano pipeline
keeps: every complete line it wrote, and its last STATE as the next run's state (the state it
started with when it wrote none). Chains go on, with new seeds, until the tap has been killed
often enough; every other chain also has light faults. No kill waits for a time: a count of
records or requests falls at the same point of the run's work on a fast machine and a slow
one. Over all chains the union of what was delivered must be the ground truth, and alovoice
must never have billed a call twice.

A kill must sometimes fall inside a page or batch (records out after the last STATE) and, for
alovoice, between a submission and the collection of its result; the row fails otherwise, as
it would not have tested what it claims.
"""

from __future__ import annotations

import functools
import random
import typing as t
from dataclasses import dataclass, field

from call_emulator import Emulator, FaultPlan
from tests.chaos.outcome import Outcome, Scenario
from tests.chaos.process import KillAt, Run, run_tap
from tests.chaos.subject import LOG_DETAILS, Delivery, Key, Subject
from tests.chaos.subject_aiokk import AiokkSubject
from tests.chaos.subject_alovoice import AlovoiceSubject
from tests.chaos.subject_twin24 import Twin24Subject
from tests.chaos.triggers import RequestCount

if t.TYPE_CHECKING:
    from pathlib import Path

KILLS, FAST_KILLS = 20, 2
AT_REQUEST_SHARE = 0.4
"""Kills as the emulator receives a random request (in the middle of the tap's work on it)
rather than after a random record; none in the fast subset, which stays short."""
MAX_RUNS = 12
"""Runs of one chain before its calls still open count as a failure."""
LIGHT_FAULTS = FaultPlan(0.05, ("429", "503", "drop", "truncate"), seed=1, slow_seconds=1.5)
RETRIES = {"request_timeout": 2, "max_retries": 10, "backoff_ms": 10}
MAX_CHAINS = 5
"""Chains per wanted kill before the scenario gives up (each chain holds one kill at least)."""


def scenarios(fast: bool) -> list[Scenario]:
    wanted = FAST_KILLS if fast else KILLS
    name = f"kill -9 x{wanted}"
    subjects: list[tuple[str, t.Callable[[int], Subject]]] = [
        (
            AiokkSubject.tap,
            lambda seed: AiokkSubject(seed, 100 if fast else 300, every_filter=not fast),
        ),
        (Twin24Subject.tap, lambda seed: Twin24Subject(seed, 1000 if fast else 3000)),
        (AlovoiceSubject.tap, lambda seed: AlovoiceSubject(seed, 60 if fast else 200)),
    ]
    at_request = 0.0 if fast else AT_REQUEST_SHARE
    return [
        Scenario(tap, name, functools.partial(run, make, wanted, at_request, name))
        for tap, make in subjects
    ]


@dataclass
class Kills:
    """Where the kills of a scenario fell."""

    count: int = 0
    inside_batch: int = 0
    """Kills after which records were out that no STATE covered."""
    between_submission_and_result: int = 0
    """alovoice: kills while a submitted call's result was not delivered yet."""
    plans: list[str] = field(default_factory=list)


def run(
    make: t.Callable[[int], Subject], wanted: int, at_request: float, name: str, workdir: Path
) -> Outcome:
    """Chains until ``wanted`` kills, a share ``at_request`` of them at a random request."""
    kills, outcomes, seed = Kills(), [], 0
    while kills.count < wanted and seed < MAX_CHAINS * wanted:
        seed += 1
        budget = wanted - kills.count
        subject = make(seed)
        rng = random.Random(f"chaos-kills:{subject.tap}:{seed}")
        plan = KillPlan(rng, min(budget, 4), at_request)
        outcomes.append(chain(subject, seed, plan, kills, workdir / f"chain-{seed}"))
    outcome = _sum(name, outcomes)
    outcome.injected = kills.count
    if kills.count < wanted:
        outcome.problems.append(f"only {kills.count} of {wanted} kills fell in {seed} chains")
    outcome.notes.append(
        f"{kills.count} kills in {seed} chains; {kills.inside_batch} inside a page or batch"
        + (
            f", {kills.between_submission_and_result} between a submission and its result"
            if outcome.double_submissions is not None
            else ""
        )
    )
    outcome.notes.append("kill points: " + ", ".join(kills.plans))
    if kills.inside_batch == 0:
        outcome.problems.append("no kill fell inside a page or batch")
    if outcome.double_submissions is not None and kills.between_submission_and_result == 0:
        outcome.problems.append("no kill fell between a submission and its result")
    return outcome


def chain(subject: Subject, seed: int, plan: KillPlan, kills: Kills, workdir: Path) -> Outcome:
    """One account, killed as ``plan`` says, then run until it is done."""
    with Emulator() as emulator:
        requests = RequestCount(emulator)
        config = subject.mount(emulator) | RETRIES | LOG_DETAILS
        if seed % 2 == 0:
            emulator.faults = LIGHT_FAULTS
        delivery = Delivery(subject)
        state: dict[str, t.Any] | None = None
        sent: int | None = None  # requests of the chain's last run
        for number in range(1, MAX_RUNS + 1):
            kill = plan.next(subject, delivery, sent)
            in_flight: set[Key] = set()
            last = run_tap(
                subject.module,
                config,
                workdir / f"run-{number}",
                state=state,
                kill=kill,
                on_kill=functools.partial(_remember_in_flight, subject, in_flight),
                requests=requests,
            )
            sent = requests.requests
            delivery.take(last)
            state = last.last_state or state
            if last.killed:
                _note_kill(kills, last, kill, in_flight, delivery)
                continue
            if last.exit_code != 0 or last.hung or subject.settled(last):
                break
    outcome = delivery.outcome("chain")
    if last.hung:
        outcome.problems.append(f"chain {seed}, run {number} hung")
    elif last.exit_code != 0:
        reason = (last.error_lines or ["no ERROR line"])[-1]
        outcome.problems.append(f"chain {seed}, run {number} exited {last.exit_code}: {reason}")
    elif last.killed or not subject.settled(last):
        outcome.problems.append(f"chain {seed}: calls still open after {MAX_RUNS} runs")
    return outcome


class KillPlan:
    """The kills of one chain: one to ``most`` of them, each after a random number of the records
    still to come or, for a share ``at_request``, as a random one of the run's requests comes."""

    def __init__(self, rng: random.Random, most: int, at_request: float) -> None:
        self.rng, self.at_request = rng, at_request
        self.left = rng.randint(1, most)

    def next(self, subject: Subject, delivery: Delivery, sent: int | None) -> KillAt | None:
        """Where to kill the next run; None once the chain's kills are spent. ``sent``: the
        requests of the chain's last run (None before the first), a bound for a run that
        resumes where it ended; a kill past the run's last request is no kill, and more chains
        follow until the scenario's kills are reached."""
        if not self.left:
            return None
        self.left -= 1
        if self.rng.random() < self.at_request:
            most = subject.kill_requests if sent is None else min(subject.kill_requests, sent)
            return KillAt(requests=self.rng.randint(1, max(1, most)))
        to_come = max(1, len(delivery.truth) - len(set(delivery.counts) & set(delivery.truth)))
        return KillAt(records=self.rng.randint(1, to_come))


def _remember_in_flight(subject: Subject, seen: set[Key]) -> None:
    seen.update(subject.in_flight())


def _note_kill(
    kills: Kills, run: Run, plan: KillAt | None, in_flight: set[Key], delivery: Delivery
) -> None:
    kills.count += 1
    kills.plans.append(str(plan))
    if run.records_after_last_state:
        kills.inside_batch += 1
    if in_flight - set(delivery.counts):
        kills.between_submission_and_result += 1


def _sum(name: str, chains: list[Outcome]) -> Outcome:
    """One row for all chains: their figures added up."""
    doubles = [o.double_submissions for o in chains if o.double_submissions is not None]
    outcome = Outcome(
        tap=chains[0].tap,
        scenario=name,
        expected=sum(o.expected for o in chains),
        delivered=sum(o.delivered for o in chains),
        duplicates=sum(o.duplicates for o in chains),
        lost=sum(o.lost for o in chains),
        exit_code=max((o.exit_code for o in chains), key=abs),
        leaked=any(o.leaked for o in chains),
        double_submissions=sum(doubles) if doubles else None,
        runs=sum(o.runs for o in chains),
    )
    outcome.problems.extend(problem for o in chains for problem in o.problems)
    return outcome
