"""An API that keeps failing: the run must end, non-zero, within its retry budget, in one line.

Every request is answered with a 503 page, dropped, or stalled past the request timeout. For
tap-twin24 that is its call and task hosts with a working login; its login host alone; and its
login host from the request after its first login on, with that login's token spent after one
page, so that the run fails when it renews the token: on the second page, on any machine.
A failing run is not expected to deliver anything: the row shows 0 expected and 0 lost (the
records a run delivered before its login failed are still checked against the truth). It fails
when the run exits 0, hangs, takes longer than its retry settings allow, or ends with anything
but exactly one ERROR line, naming the failure, and no traceback.
"""

from __future__ import annotations

import functools
import typing as t

from call_emulator import Emulator, FaultPlan
from call_emulator.testing.twin24_support import TWIN24_PREFIXES
from tests.chaos.outcome import Outcome, Scenario
from tests.chaos.process import run_tap
from tests.chaos.subject import LOG_DETAILS, Delivery, Subject
from tests.chaos.subject_aiokk import AiokkSubject
from tests.chaos.subject_alovoice import AlovoiceSubject
from tests.chaos.subject_twin24 import Twin24Subject
from tests.chaos.triggers import after_first_login

if t.TYPE_CHECKING:
    from pathlib import Path

SETTINGS = {"request_timeout": 1, "max_retries": 2, "backoff_ms": 200}
STALL_SECONDS = 1.5
"""How long a stalled answer pauses: past the 1 s request timeout."""
JITTER = 1.0
"""The Meltano SDK adds a random wait of up to 1 s to each of its retries (tap-aiokk and
tap-twin24 requests use its backoff)."""
START_SECONDS = 5.0
"""Starting the interpreter and the tap, and the steps around the failing request."""
KINDS = ("503", "drop", "stall")
API = "API keeps failing:"
LOGIN = "login host keeps failing:"
LATER_LOGINS = "login host fails after 1st login:"
"""What fails: every request; twin24's login host only; its renewals only, after a first login
that works (its token then serves ONE_PAGE request, so the run must renew it)."""
ONE_PAGE = 1
"""API requests a token serves in the LATER_LOGINS scenarios: the account's calls fill dozens
of pages, so the second page needs a new token, whatever the machine's speed."""
NAMED_AS = {"503": "503", "drop": "dropped", "stall": "timeout"}
"""A word the last line must have for each kind of failure: it says what went wrong."""


def budget(settings: t.Mapping[str, float]) -> float:
    """The longest one request may take before its retries run out: every attempt cut at the
    request timeout, every wait the doubling backoff plus the SDK's jitter."""
    retries = int(settings["max_retries"])
    waits = sum(settings["backoff_ms"] / 1000 * 2**i + JITTER for i in range(retries))
    return float((retries + 1) * settings["request_timeout"] + waits)


BOUND = START_SECONDS + 2 * budget(SETTINGS)
"""Seconds a failing run may take: twice one request's budget (alovoice queries calls in
parallel and gives up after a few of them in a row; a run may meet a second request), plus its
start."""


def scenarios(fast: bool) -> list[Scenario]:
    kinds = KINDS[:1] if fast else KINDS
    found = []
    later = functools.partial(Twin24Subject, token_uses=ONE_PAGE)
    makes: tuple[tuple[str, t.Callable[[int], Subject], str], ...] = (
        (AiokkSubject.tap, AiokkSubject, API),
        (Twin24Subject.tap, Twin24Subject, API),
        (Twin24Subject.tap, Twin24Subject, LOGIN),
        (Twin24Subject.tap, later, LATER_LOGINS),
        (AlovoiceSubject.tap, AlovoiceSubject, API),
    )
    for tap, make, where in makes:
        for kind in kinds:
            name = f"{where} {_kind_name(kind)}"
            found.append(Scenario(tap, name, functools.partial(run, make, where, kind, name)))
    return found


def _kind_name(kind: str) -> str:
    return {"503": "503", "drop": "drop", "stall": "stall"}[kind]


def run(make: t.Callable[[int], Subject], where: str, kind: str, name: str, path: Path) -> Outcome:
    subject = make(1)
    always = FaultPlan(1.0, (kind,), slow_seconds=STALL_SECONDS)
    with Emulator() as emulator, Emulator() as login_host:
        config = subject.mount(emulator) | SETTINGS | LOG_DETAILS
        failing = emulator
        if isinstance(subject, Twin24Subject):  # its login host on a server of its own
            login_host.mount(TWIN24_PREFIXES[0], subject.account.iam)
            config["auth_url"] = login_host.url_for(TWIN24_PREFIXES[0])
            failing = emulator if where == API else login_host
        if where == LATER_LOGINS:
            assert isinstance(subject, Twin24Subject)
            after_first_login(subject.account.auth, functools.partial(_fail, login_host, always))
        else:
            failing.faults = always
        delivery = Delivery(subject)
        last = run_tap(subject.module, config, path, timeout=3 * BOUND)
        delivery.take(last)
        injected = emulator.faults_injected.total + login_host.faults_injected.total
    outcome = delivery.outcome(name, expect_nothing=True)
    outcome.problems.extend(_verdict(last.exit_code, last.hung, last.seconds, last.stderr))
    errors = last.error_lines
    if errors and NAMED_AS[kind] not in errors[-1]:
        outcome.problems.append(f"the last line does not say {NAMED_AS[kind]!r}: {errors[-1]}")
    outcome.injected = injected
    outcome.notes.append(f"{last.seconds:.1f} s (bound {BOUND:.1f} s); {injected} requests failed")
    outcome.notes.append("last line: " + (errors[-1].split("| ERROR", 1)[-1] if errors else "-"))
    return outcome


def _fail(host: Emulator, plan: FaultPlan) -> None:
    host.faults = plan


def _verdict(exit_code: int, hung: bool, seconds: float, stderr: str) -> list[str]:
    """What is wrong with how the run ended, if anything."""
    if hung:
        return [f"hung: killed after {seconds:.0f} s"]
    problems = []
    if exit_code == 0:
        problems.append("exited 0: it reported success")
    if seconds > BOUND:
        problems.append(f"took {seconds:.1f} s, more than its retry budget allows ({BOUND:.1f} s)")
    errors = [line for line in stderr.splitlines() if "| ERROR" in line]
    if len(errors) != 1:
        problems.append(f"{len(errors)} ERROR lines instead of one: {errors[:3]}")
    if "Traceback" in stderr:
        problems.append("a traceback in stderr")
    return problems
