"""Fixtures shared by the tests: a running emulator, and none of the caller's settings.

The helpers tests import live in tests/helpers/."""

from __future__ import annotations

import os
import typing as t

import pytest

from tests.emulator import Emulator
from tests.helpers.hermetic import clean_environ

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
