"""The Singer SDK's standard tap tests for tap-twin24, against the emulator over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import get_tap_test_class

from tap_twin24.tap import TapTwin24
from tests.emulator import Emulator
from tests.emulator.twin24 import Twin24Account
from tests.helpers.twin24_support import mount_twin24

# The SDK builds the test class from a fixed config at import time, so the server starts here.
EMULATOR = Emulator().start()
CONFIG = mount_twin24(EMULATOR, Twin24Account(calls=300, seed=4))

TestTapTwin24 = get_tap_test_class(
    TapTwin24,
    config=CONFIG | {"request_timeout": 10},
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator() -> t.Iterator[None]:
    yield
    EMULATOR.stop()
