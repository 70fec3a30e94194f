"""Collecting the SDK suites starts no server: each xdist worker collects every module, and
only the worker that runs a suite starts the one emulator its process shares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from call_emulator.testing.hermetic import clean_environ

ROOT = Path(__file__).resolve().parents[1]
SUITES = tuple(
    str(ROOT / tap / "tests" / "test_sdk_suite.py")
    for tap in ("tap_aiokk", "tap_twin24", "tap_alovoice")
)
COUNT_SERVERS = """
import runpy
import sys
import threading
for path in sys.argv[1:]:
    runpy.run_path(path)
print(sum(thread.name.startswith("emulator-") for thread in threading.enumerate()))
"""


def test_importing_the_sdk_suites_starts_no_emulator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_SERVERS, *SUITES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=clean_environ(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["0"]
