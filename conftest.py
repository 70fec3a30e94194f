"""Fixtures shared by every package's tests: a running emulator, and none of the caller's
settings.

The helpers the tests import live in the emulator's package (``call_emulator.testing``) and, for
the Meltano project, in ``harness``."""

from __future__ import annotations

import os
import typing as t

import pytest

# Each package's tests (tap_aiokk/tests/...) are imported by pytest's importlib mode under a name
# made from their path, tap_aiokk.tests.test_cli; pytest imports the parent, tap_aiokk, from the
# folder unless a module of that name is already imported. The real packages are, first.
import call_emulator  # noqa: F401
import singer_tap_kit  # noqa: F401
import tap_aiokk  # noqa: F401
import tap_alovoice  # noqa: F401
import tap_twin24  # noqa: F401
from call_emulator import Emulator
from call_emulator.testing.hermetic import clean_environ

_UNDO = pytest.StashKey[pytest.MonkeyPatch]()


def pytest_configure(config: pytest.Config) -> None:
    """The session's os.environ is `clean_environ()`: no TAP_*, TARGET_* or MELTANO_* variable
    of the caller's, so code in the test process cannot see them either. A hook, not a fixture:
    the SDK suites build their taps while their modules are collected."""
    patch = config.stash[_UNDO] = pytest.MonkeyPatch()
    clean = clean_environ()
    for name in [name for name in os.environ if name not in clean]:
        patch.delenv(name)
    for name, value in clean.items():
        if os.environ.get(name) != value:
            patch.setenv(name, value)


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[_UNDO].undo()


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    with Emulator() as server:
        yield server
