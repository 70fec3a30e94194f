"""The Singer SDK's standard tap tests for tap-twin24, against the emulator over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import get_tap_test_class

from call_emulator.testing.suite_emulator import UNSERVED_URL, suite_emulator
from call_emulator.testing.twin24_support import TWIN24_EMAIL, TWIN24_PASSWORD, mount_twin24
from call_emulator.twin24 import Twin24Account
from tap_twin24.tap import TapTwin24

ACCOUNT = Twin24Account(calls=300, seed=4)
# The SDK builds the test class from this config while the module is collected, and syncs with
# it later: _serve points it at the emulator first (call_emulator/testing/suite_emulator.py).
CONFIG: dict[str, t.Any] = {
    "auth_url": UNSERVED_URL,
    "api_url": UNSERVED_URL,
    "tasks_url": UNSERVED_URL,
    "email": TWIN24_EMAIL,
    "password": TWIN24_PASSWORD,
    "start_date": ACCOUNT.first_moment().isoformat(),
}

TestTapTwin24 = get_tap_test_class(
    TapTwin24,
    config=CONFIG,
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _serve() -> None:
    CONFIG.update(mount_twin24(suite_emulator(), ACCOUNT), request_timeout=10)
