"""Fixtures shared by the tap tests: a running emulator and a canary token; no caller's settings."""

from __future__ import annotations

import copy
import json
import os
import typing as t
from pathlib import Path

import pytest

from tests.emulator import AiokkAccount, Emulator
from tests.hermetic import clean_environ

FIXTURES = Path(__file__).parent / "fixtures"
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


def fixture_json(name: str) -> t.Any:
    """A JSON file copied from the vendors' pages, such as their example bodies."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# A canary: no output of any run may ever contain it.
AIOKK_TOKEN = "canary-aiokk-token-5d1f0e7a9b"


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    with Emulator() as server:
        yield server


def aiokk_account(**kwargs: t.Any) -> AiokkAccount:
    """A synthetic account whose token is the canary."""
    kwargs.setdefault("token", AIOKK_TOKEN)
    return AiokkAccount(**kwargs)


def dialog_with_id(raw: t.Mapping[str, t.Any], dialog_id: int) -> dict[str, t.Any]:
    """A deep copy of a raw dialog under another id, for hand-built accounts."""
    dialog = copy.deepcopy(dict(raw))
    dialog["call"]["dialogId"] = dialog_id
    return dialog


def mount_aiokk(emulator: Emulator, account: AiokkAccount) -> dict[str, t.Any]:
    """Serve ``account`` and return a tap config that reads it quickly and retries a lot."""
    emulator.mount("/aiokk", account)
    return {
        "api_url": f"{emulator.url}/aiokk",
        "token": AIOKK_TOKEN,
        "timezone": "Asia/Almaty",
        "request_timeout": 1,
        "max_retries": 10,
        "backoff_ms": 50,
    }
