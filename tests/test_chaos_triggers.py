"""Every resilience scenario reaches its fault by a count, never a time (tests/chaos/triggers.py).

A fault that came after some seconds would miss a fast run and prove nothing. These tests run
the triggers' logic on its own, with a clock that races and one that crawls, and check how each
scenario defines its trigger.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import typing as t

import pytest
import requests

from call_emulator import Emulator, FaultPlan, Response
from call_emulator.twin24 import Twin24Account
from call_emulator.twin24 import auth as twin24_auth
from tests.chaos import failing, faults, kills
from tests.chaos.outcome import Outcome
from tests.chaos.process import KillAt
from tests.chaos.subject import Delivery
from tests.chaos.subject_aiokk import AiokkSubject
from tests.chaos.subject_twin24 import TOKEN_USES, Twin24Subject
from tests.chaos.table import render
from tests.chaos.triggers import RequestCount, TokenUses, after_first_login, first_roll

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Request
    from tests.chaos.outcome import Scenario


def _arguments(scenario: Scenario) -> tuple[t.Any, ...]:
    """What a scenario module bound into the scenario's run."""
    assert isinstance(scenario.run, functools.partial), scenario
    return scenario.run.args


FAULTS = faults.scenarios(fast=False) + faults.scenarios(fast=True)
LATER = [s for s in failing.scenarios(fast=False) if s.name.startswith(failing.LATER_LOGINS)]
KILLS = kills.scenarios(fast=False) + kills.scenarios(fast=True)


def _id(scenario: Scenario) -> str:
    return f"{scenario.tap} {scenario.name}"


@pytest.mark.parametrize("scenario", FAULTS, ids=_id)
def test_a_fault_rate_scenario_faults_the_first_request_of_its_run(scenario: Scenario) -> None:
    _, rate, _ = _arguments(scenario)
    plan = faults.plan(rate)

    assert plan.rate == rate
    assert first_roll(plan) is not None, "a run of one request would meet no fault"


@pytest.mark.parametrize("rate", [0.01, 0.1, 0.3, 0.5, 1.0])
def test_first_faulted_finds_a_seed_whose_first_draw_is_a_fault(rate: float) -> None:
    plan = faults.plan(rate)

    assert first_roll(plan) is not None
    assert first_roll(plan) == first_roll(dataclasses.replace(plan)), "the same on every run"


@pytest.mark.parametrize("scenario", LATER, ids=_id)
def test_the_login_host_fails_when_the_first_token_is_spent_after_one_page(
    scenario: Scenario,
) -> None:
    """Not a token lifetime in seconds (a fast run would end first), but one page per token."""
    make, where, _, _ = _arguments(scenario)
    subject = make(1)

    assert where == failing.LATER_LOGINS
    assert isinstance(subject, Twin24Subject)
    assert subject.tokens is not None
    assert subject.tokens.uses == failing.ONE_PAGE == 1
    assert subject.account.max_token_ttl is None
    assert subject.page_size < len(subject.account.truth()) // 2, "the run needs a second page"


def test_twin24_subjects_renew_after_a_count_of_requests() -> None:
    assert Twin24Subject(1).tokens is not None
    assert Twin24Subject(1).tokens.uses == TOKEN_USES  # type: ignore[union-attr]
    assert Twin24Subject(1).account.max_token_ttl is None
    assert Twin24Subject(1, ready_token=True).tokens is None, "a ready token cannot be renewed"


class Clock:
    """The time module as the emulator's token desk sees it: each reading ``step`` s later."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1_700_000_000.0, step

    def time(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("step", [0.0, 0.001, 60.0], ids=["no time", "fast run", "slow run"])
def test_a_token_is_refused_after_its_uses_however_fast_the_run(
    monkeypatch: pytest.MonkeyPatch, step: float
) -> None:
    monkeypatch.setattr(twin24_auth, "time", Clock(step))
    account = Twin24Account(calls=10, seed=1)
    tokens = TokenUses(account.auth, 3)
    token = account.auth.issue(account.email, 3600)["token"]

    answers = [account.auth.valid(token) for _ in range(5)]

    assert answers == [True, True, True, False, False]
    assert tokens.ran_out == 2
    renewed = account.auth.issue(account.email, 3600)["token"]
    assert account.auth.valid(renewed), "a new token serves its own uses"


def test_a_forged_token_is_refused_without_spending_a_use() -> None:
    account = Twin24Account(calls=10, seed=1)
    tokens = TokenUses(account.auth, 1)

    assert not account.auth.valid("a.b.c")
    assert (tokens.ran_out, sum(tokens.served.values())) == (0, 0)


def test_the_login_host_fails_from_the_request_after_the_first_login() -> None:
    account = Twin24Account(calls=10, seed=1)
    hooked: list[int] = []
    after_first_login(account.auth, lambda: hooked.append(len(hooked)))

    account.auth.issue(account.email, 3600)
    account.auth.issue(account.email, 3600)

    assert hooked == [0], "once, at the first login"


def test_no_kill_waits_for_a_time() -> None:
    assert {f.name for f in dataclasses.fields(KillAt)} == {"records", "requests"}
    assert not any(name.endswith("seconds") for name in vars(AiokkSubject))


@pytest.mark.parametrize("scenario", KILLS, ids=_id)
def test_a_kill_plan_kills_after_records_or_at_a_request_within_the_run(
    scenario: Scenario,
) -> None:
    make, wanted, at_request, _ = _arguments(scenario)
    subject = make(1)
    delivery = Delivery(subject)
    plan = kills.KillPlan(random.Random(1), 1, 1.0 if at_request else 0.0)
    plan.left = 3

    for sent in (None, 3, 1):
        kill = plan.next(subject, delivery, sent)
        assert kill is not None
        if at_request:
            assert kill.requests is not None, "a kill at a request"
            assert 1 <= kill.requests <= (subject.kill_requests if sent is None else sent)
        else:
            assert kill.records is not None, "a kill after records"
            assert 1 <= kill.records <= len(delivery.truth)
    assert wanted >= 1


class Echo:
    def handle(self, request: Request) -> Response:  # noqa: ARG002 (the signature the caller fixes)
        return Response.json({"ok": True})


def test_a_kill_at_a_request_falls_as_that_request_comes() -> None:
    fired: list[int] = []
    with Emulator() as emulator:
        emulator.mount("/echo", Echo())
        counted = RequestCount(emulator)
        counted.arm(3, lambda: fired.append(counted.requests))
        for _ in range(5):
            requests.get(emulator.url_for("/echo"), timeout=5).raise_for_status()
        counted.disarm()

    assert fired == [3], "once, as the third request came, before it was answered"
    assert counted.requests == 5


def test_a_run_without_an_injected_fault_fails_its_row(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(faults, "plan", lambda rate: FaultPlan(0.0))  # noqa: ARG005
    make = functools.partial(AiokkSubject, faults.SEED, 20, every_filter=False)

    outcome = faults.run(make, 0.3, "faults 30%", tmp_path)

    assert not outcome.ok
    assert any("no fault was injected" in failure for failure in outcome.failures)


@pytest.mark.parametrize(("injected", "ok"), [(0, False), (1, True), (None, True)])
def test_the_table_shows_the_injected_faults_and_fails_a_row_without_any(
    injected: int | None, ok: bool
) -> None:
    outcome = Outcome("tap-x", "faults 10%", 2, 2, 0, 0, 0, False, injected=injected)

    table = render([outcome])

    assert outcome.ok is ok
    assert "| injected |" in table.splitlines()[0].replace("  ", "")
    assert ("FAIL: no fault was injected" in table) is not ok
