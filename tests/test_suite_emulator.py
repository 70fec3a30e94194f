"""Collecting the SDK suites starts no server: each xdist worker collects every module, and
only the worker that runs a suite starts the one emulator its process shares."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.hermetic import clean_environ

SUITES = (
    "tests.aiokk.test_sdk_suite",
    "tests.twin24.test_sdk_suite",
    "tests.alovoice.test_sdk_suite",
)
COUNT_SERVERS = f"""
import threading
import {", ".join(SUITES)}
print(sum(thread.name.startswith("emulator-") for thread in threading.enumerate()))
"""


def test_importing_the_sdk_suites_starts_no_emulator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_SERVERS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=clean_environ(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["0"]
