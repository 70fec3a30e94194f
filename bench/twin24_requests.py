"""Requests and log lines of tap-twin24 on spans with few or no calls, on the emulator.

Run with ``make bench`` (``bench/twin24_speed.py`` prints these figures too) or alone with
``python -m bench.twin24_requests``. A sync pays for its windows, not only for its calls: this
counts the calls-endpoint requests the emulator saw and the tap's log lines for

- two quiet years: a range of 730 days holding no call, at the default window;
- a long pause: the sync after a full one, up to now, with nothing new since the last call;
- 5,000 calls spread over two years, read at ``window_hours: 1``.

Each run's delivered calls are checked against the emulator's truth.
"""

from __future__ import annotations

import tempfile
import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from call_emulator import Emulator
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account

TWO_YEARS = timedelta(days=730)


@dataclass(frozen=True)
class Figures:
    """What one tap run cost."""

    what: str
    requests: int
    log_lines: int
    log_bytes: int
    calls: int


def _run(
    what: str,
    account: Twin24Account,
    settings: dict[str, t.Any],
    workdir: Path,
    state: dict[str, t.Any] | None = None,
) -> tuple[Figures, TapRun]:
    with Emulator() as emulator:
        config = mount_twin24(emulator, account) | settings
        config = {name: value for name, value in config.items() if value is not None}
        account.requests.reset()
        run = run_tap("tap_twin24", config, workdir, state=state)
    if run.exit_code != 0:
        raise SystemExit(f"the tap failed:\n{run.stderr[-2000:]}")
    calls = run.records("calls")
    start = config["start_date"]
    if state is None:
        truth = account.ids(_moment(start), _moment(config.get("end_date")))
        if sorted(record["id"] for record in calls) != sorted(truth):
            raise SystemExit(f"{what}: the calls delivered are not the emulator's calls")
    figures = Figures(
        what,
        account.requests.total,
        len(run.stderr.splitlines()),
        len(run.stderr.encode()),
        len(calls),
    )
    return figures, run


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def measure(workdir: Path) -> list[Figures]:
    """The three runs described in the module's docstring."""
    quiet = Twin24Account(calls=100, seed=1)
    first = quiet.first_moment()
    empty_years = {"start_date": (first - TWO_YEARS).isoformat(), "end_date": first.isoformat()}
    figures = [_run("two quiet years, window 24 h", quiet, empty_years, workdir / "quiet")[0]]

    paused = Twin24Account(calls=1000, seed=2)
    _, run = _run("full", paused, {"end_date": None}, workdir / "full")
    pause_days = (datetime.now(UTC) - paused.end_moment()).days
    again, _ = _run(
        f"after a {pause_days}-day pause, nothing new",
        paused,
        {"end_date": None},
        workdir / "pause",
        state=run.final_state,
    )
    if again.calls:
        raise SystemExit("the sync after the pause sent calls again")
    figures.append(again)

    spread = Twin24Account(calls=5000, seed=3, span=TWO_YEARS)
    hourly = {"window_hours": 1}
    what = "5,000 calls over two years, window 1 h"
    figures.append(_run(what, spread, hourly, workdir / "w1")[0])
    return figures


def report(figures: list[Figures]) -> None:
    print(f"{'tap-twin24 run':<44}{'requests':>10}{'log lines':>11}{'log bytes':>12}{'calls':>8}")
    for row in figures:
        print(
            f"{row.what:<44}{row.requests:>10,}{row.log_lines:>11,}"
            f"{row.log_bytes:>12,}{row.calls:>8,}"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        report(measure(Path(workdir)))


if __name__ == "__main__":
    main()
