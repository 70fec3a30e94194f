"""The Singer SDK's standard tap tests, run against the emulator over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import get_tap_test_class

from tap_aiokk.tap import TapAiokk
from tests.emulator import AiokkAccount, Emulator
from tests.helpers.aiokk_support import AIOKK_TOKEN

# The SDK builds the test class from a fixed config at import time, so the server starts here.
EMULATOR = Emulator()
EMULATOR.mount("/aiokk", AiokkAccount(dialogs=120, seed=4, token=AIOKK_TOKEN))
EMULATOR.start()

TestTapAiokk = get_tap_test_class(
    TapAiokk,
    config={
        "api_url": f"{EMULATOR.url}/aiokk",
        "token": AIOKK_TOKEN,
        "timezone": "Asia/Almaty",
        "request_timeout": 10,
    },
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator() -> t.Iterator[None]:
    yield
    EMULATOR.stop()
