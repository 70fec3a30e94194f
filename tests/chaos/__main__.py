"""Run the resilience scenarios and print the table; exit 1 when any row fails."""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .outcome import Outcome, Scenario
from .table import render

SCENARIO_MODULES = ("faults", "kills", "failing", "bad_input")


def collect(fast: bool) -> list[Scenario]:
    found: list[Scenario] = []
    for name in SCENARIO_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        found.extend(module.scenarios(fast))
    return found


def run_one(scenario: Scenario, root: Path) -> Outcome:
    """Run a scenario in its own directory; a crash of the harness is a failed row, not a stop."""
    workdir = root / f"{scenario.tap}-{scenario.name}".replace(" ", "_").replace("/", "_")
    started = time.monotonic()
    try:
        outcome = scenario.run(workdir)
    except Exception as error:  # the table must still print
        traceback.print_exc()
        outcome = Outcome(scenario.tap, scenario.name, 0, 0, 0, 0, -1, False)
        outcome.problems.append(f"harness error: {error!r}")
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--fast", action="store_true", help="only the subset make test runs")
    parser.add_argument("--tap", help="only this tap, e.g. tap-twin24")
    parser.add_argument("--scenario", help="only scenarios whose name contains this text")
    args = parser.parse_args(argv)
    scenarios = [
        s
        for s in collect(args.fast)
        if (not args.tap or s.tap == args.tap) and (not args.scenario or args.scenario in s.name)
    ]
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        for number, scenario in enumerate(scenarios, 1):
            print(f"[{number}/{len(scenarios)}] {scenario.tap}: {scenario.name} ...", flush=True)
            outcome = run_one(scenario, Path(tmp))
            verdict = "ok" if outcome.ok else "FAIL: " + "; ".join(outcome.failures)
            print(f"    {verdict} ({outcome.seconds:.1f} s)", flush=True)
            for note in outcome.notes:
                print(f"    {note}", flush=True)
            outcomes.append(outcome)
    print()
    print(render(outcomes))
    failed = [o for o in outcomes if not o.ok]
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} scenarios passed.")
    return 1 if failed or not outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
