"""The fast subset of the resilience suite's fault, kill -9 and failing-API scenarios.

`python -m tests.chaos --fast` prints them as a table; here each is a test of its own, failing
with the reasons its row gives. The last tests show that a row can fail at all.
"""

from __future__ import annotations

import functools
import json
import typing as t

import pytest

from tests.chaos import failing, faults, kills
from tests.chaos.process import Run
from tests.chaos.subject import Delivery, Key, Subject
from tests.chaos.subject_alovoice import AlovoiceSubject
from tests.chaos.table import render

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.chaos.outcome import Scenario
    from tests.chaos.process import Message

SCENARIOS = [s for module in (faults, kills, failing) for s in module.scenarios(fast=True)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: f"{s.tap} {s.name}")
def test_scenario(scenario: Scenario, tmp_path: Path) -> None:
    outcome = scenario.run(tmp_path)
    assert outcome.ok, "; ".join(outcome.failures) + "\n" + render([outcome])
    assert outcome.runs >= 1


def test_alovoice_ten_percent_faults_deliver_every_analysis_in_one_run(tmp_path: Path) -> None:
    """A submission that may have arrived is settled by asking alovoice within the run: every
    analysis comes in the first run, and no call is billed twice."""
    make = functools.partial(AlovoiceSubject, faults.SEED, 120)

    outcome = faults.run(make, 0.1, "faults 10%", tmp_path)

    assert outcome.ok, "; ".join(outcome.failures) + "\n" + render([outcome])
    assert outcome.runs == 1
    assert outcome.expected > 120, "calls, fragments and tags"
    assert (outcome.delivered, outcome.lost) == (outcome.expected, 0)
    assert outcome.double_submissions == 0


class TwoRecords(Subject):
    """A subject whose truth is two records, for runs written by hand."""

    tap = "tap-example"
    module = "tap_example"

    def secrets(self) -> list[str]:
        return ["canary-example-secret"]

    def truth(self) -> dict[Key, t.Any]:
        return {("rows", 1): "one", ("rows", 2): "two"}

    def delivered(self, message: Message) -> tuple[Key, t.Any]:
        return ("rows", message["record"]["id"]), message["record"]["text"]


def written(tmp_path: Path, *rows: tuple[int, str]) -> Run:
    """A finished run that wrote these rows."""
    stdout = tmp_path / "stdout.jsonl"
    messages = [
        {"type": "RECORD", "stream": "rows", "record": {"id": i, "text": text}} for i, text in rows
    ]
    stdout.write_text("".join(json.dumps(message) + "\n" for message in messages))
    stderr = tmp_path / "stderr.log"
    stderr.write_text("")
    return Run(0, messages, stdout, stderr, None, 0.1)


def test_a_record_never_delivered_fails_the_row(tmp_path: Path) -> None:
    delivery = Delivery(TwoRecords())
    delivery.take(written(tmp_path, (1, "one"), (1, "one")))
    outcome = delivery.outcome("example")
    assert (outcome.expected, outcome.delivered, outcome.duplicates, outcome.lost) == (2, 1, 1, 1)
    assert not outcome.ok


def test_a_wrong_value_or_a_secret_fails_the_row(tmp_path: Path) -> None:
    delivery = Delivery(TwoRecords())
    delivery.take(written(tmp_path, (1, "one"), (2, "canary-example-secret")))
    outcome = delivery.outcome("example")
    assert outcome.lost == 0
    assert outcome.leaked
    assert any("differ from what the emulator served" in failure for failure in outcome.failures)
