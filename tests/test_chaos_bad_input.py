"""The bad-input scenarios' fast subset (python -m tests.chaos runs them all), and their judge."""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

import pytest

from call_emulator.testing.taprun import TapRun
from tests.chaos import bad_input
from tests.chaos.bad_input_judge import DELIVER, Expect, judge, stops, warns

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.chaos.outcome import Scenario

FAST = bad_input.scenarios(fast=True)


@pytest.mark.parametrize("scenario", FAST, ids=[f"{s.tap}:{s.name}" for s in FAST])
def test_bad_input(scenario: Scenario, tmp_path: Path) -> None:
    outcome = scenario.run(tmp_path)
    assert outcome.ok, "; ".join(outcome.failures)


def test_the_fast_subset_covers_every_tap() -> None:
    assert {s.tap for s in FAST} == {"tap-aiokk", "tap-twin24", "tap-alovoice"}
    assert len(bad_input.scenarios(fast=False)) > len(FAST)


SECRET = "canary-judge-secret-41"
PROPERTIES = {"id": {"type": "integer"}, "text": {"type": ["string", "null"]}}
SCHEMA = {
    "type": "SCHEMA",
    "stream": "rows",
    "key_properties": ["id"],
    "schema": {"type": "object", "properties": PROPERTIES},
}
STATE = {"type": "STATE", "value": {"bookmarks": {}}}
ERROR = "2025-01-01 00:00:00,000 | ERROR    | tap-x | "
WARNING = "2025-01-01 00:00:00,000 | WARNING  | tap-x | "


def row(key: int, text: object = "текст") -> dict[str, t.Any]:
    return {"type": "RECORD", "stream": "rows", "record": {"id": key, "text": text}}


GOOD = [SCHEMA, row(1), row(2), STATE]


@dataclass(frozen=True)
class Run:
    """A made-up finished run: what the judge is given."""

    expect: Expect
    exit_code: int
    messages: list[dict[str, t.Any]]
    log: str = ""

    def write(self, tmp_path: Path) -> TapRun:
        stdout, stderr = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
        lines = (json.dumps(m, ensure_ascii=False) + "\n" for m in self.messages)
        stdout.write_text("".join(lines), encoding="utf-8")
        stderr.write_text(self.log, encoding="utf-8")
        return TapRun(self.exit_code, stdout, stderr, 0.0)


@pytest.mark.parametrize(
    ("run", "finding"),
    [
        (Run(DELIVER, 0, GOOD), None),
        (Run(stops("token"), 1, [], ERROR + "token: missing\n"), None),
        (Run(stops("token"), 0, [], ERROR + "token: missing\n"), "exit code 0"),
        (Run(stops("token"), 1, [], ERROR + "something went wrong\n"), "no ERROR line says"),
        (Run(stops("token"), 1, [], "Traceback (most recent call last):\n" + ERROR), "traceback"),
        (Run(stops("token"), 1, [], (ERROR + "token\n") * 4), "4 ERROR lines"),
        (Run(DELIVER, 1, GOOD, ERROR + "boom\n"), "exit code 1"),
        (Run(DELIVER, 0, [SCHEMA, row(1), STATE]), "1 records lost"),
        (Run(DELIVER, 0, [*GOOD, row(3)]), "not expected"),
        (Run(DELIVER, 0, [SCHEMA, row(1), row(2, 42), STATE]), "off their schema"),
        (Run(DELIVER, 0, [SCHEMA, row(1), row(2, f"a {SECRET}"), STATE]), "a secret leaked"),
        (Run(DELIVER, 0, [SCHEMA, row(1), row(2)]), "no STATE"),
        (Run(warns("UTF-8"), 0, GOOD, WARNING + "something else\n"), "no WARNING line says"),
        (Run(warns("UTF-8"), 0, GOOD, WARNING + "not UTF-8\n"), None),
    ],
)
def test_the_judge_fails_a_run_that_falls_short(
    tmp_path: Path, run: Run, finding: str | None
) -> None:
    outcome = judge(
        "tap-x",
        "case",
        run.write(tmp_path),
        expect=run.expect,
        primary_keys={"rows": ("id",)},
        expected=set() if run.expect.fatal else {("rows", 1), ("rows", 2)},
        secrets=[SECRET],
    )

    if finding is None:
        assert outcome.ok, outcome.failures
    else:
        assert [f for f in outcome.failures if finding in f], outcome.failures
