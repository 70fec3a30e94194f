"""Speed of tap-twin24 against a floor with no SDK, on the same emulator in the same run.

Run with ``make bench`` (or ``python -m bench.twin24_speed --calls 200000``). Both the tap and
the floor (``bench/twin24_floor.py``: plain requests and json writing the same RECORD lines)
export every call and transcript line of the emulated account to a file. Each runs
``--rounds`` times, alternately; the best time of each counts. It prints both times, their
ratio (target: 1.5 or less), the tap's peak RSS and log lines, then what quiet spans cost in
requests and log lines (``bench/twin24_requests.py``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import twin24_requests
from call_emulator import Emulator
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import TWIN24_EMAIL, TWIN24_PASSWORD, mount_twin24
from call_emulator.twin24 import Twin24Account

CALL_RECORDS = '{"type":"RECORD","stream":"call'
"""calls and call_messages lines (the tap also exports the few tasks; the floor does not)."""


def run_floor(config: dict[str, object], workdir: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB and RECORD lines of one floor run."""
    out_path = workdir / "floor.jsonl"
    arguments = [str(config[name]) for name in ("auth_url", "api_url", "email", "password")] + [
        str(config["start_date"]),
        str(config["end_date"]),
    ]
    peak_path = workdir / "floor_peak_kb"
    command = [
        sys.executable,
        "-m",
        "call_emulator.testing.peak_memory",
        str(peak_path),
        "bench.twin24_floor",
    ]
    started = time.monotonic()
    with out_path.open("wb") as out:
        # bench/ is the checkout's, not an installed package: found from the checkout's root.
        root = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        subprocess.run(
            [*command, *arguments], stdout=out, check=True, cwd=workdir, env=clean_environ(root)
        )
    elapsed = time.monotonic() - started
    return elapsed, int(peak_path.read_text()) / 1024, _records(out_path)


def run_tap_once(config: dict[str, object], workdir: Path) -> tuple[float, float, int, int]:
    """Seconds, peak RSS in MB, RECORD lines and log lines of one tap run."""
    started = time.monotonic()
    run = run_tap("tap_twin24", config, workdir)
    elapsed = time.monotonic() - started
    if run.exit_code != 0:
        raise SystemExit(f"the tap failed:\n{run.stderr[-2000:]}")
    return elapsed, run.peak_rss_mb, _records(run.stdout_path), len(run.stderr.splitlines())


def _records(path: Path) -> int:
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.startswith(CALL_RECORDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()

    with Emulator() as emulator, tempfile.TemporaryDirectory() as workdir:
        built = time.monotonic()
        account = Twin24Account(calls=options.calls, seed=1)
        config = mount_twin24(emulator, account)
        config.update(email=TWIN24_EMAIL, password=TWIN24_PASSWORD, request_timeout=60)
        print(f"account of {options.calls:,} calls built in {time.monotonic() - built:.1f} s")
        taps, floors = [], []
        for round_ in range(options.rounds):
            floors.append(run_floor(config, Path(workdir)))
            taps.append(run_tap_once(config, Path(workdir) / f"tap{round_}"))
            print(f"round {round_ + 1}: tap {taps[-1][0]:.1f} s, floor {floors[-1][0]:.1f} s")
    tap_time, _, tap_records, tap_log_lines = min(taps)
    floor_time, _, floor_records = min(floors)
    print(f"calls in account:         {options.calls:>10,}")
    print(f"RECORD lines, tap:        {tap_records:>10,}")
    print(f"RECORD lines, floor:      {floor_records:>10,}")
    print(f"tap time (best):          {tap_time:>10.1f} s")
    print(f"floor time (best):        {floor_time:>10.1f} s")
    print(f"ratio tap / floor:        {tap_time / floor_time:>10.2f} (target: 1.5 or less)")
    print(f"tap peak RSS:             {max(run[1] for run in taps):>10.1f} MB")
    print(f"floor peak RSS:           {max(run[1] for run in floors):>10.1f} MB")
    print(f"tap log lines:            {tap_log_lines:>10,}")
    print()
    with tempfile.TemporaryDirectory() as workdir:
        twin24_requests.report(twin24_requests.measure(Path(workdir)))


if __name__ == "__main__":
    main()
