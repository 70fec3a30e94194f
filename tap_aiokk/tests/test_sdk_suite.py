"""The Singer SDK's standard tap tests, run against the emulator over real HTTP."""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_tap_test_class

from call_emulator import AiokkAccount
from call_emulator.testing.aiokk_support import AIOKK_TOKEN
from call_emulator.testing.suite_emulator import UNSERVED_URL, suite_emulator
from tap_aiokk.tap import TapAiokk

ACCOUNT = AiokkAccount(dialogs=120, seed=4, token=AIOKK_TOKEN)
# The SDK builds the test class from this config while the module is collected, and syncs with
# it later: _serve points it at the emulator first (call_emulator/testing/suite_emulator.py).
CONFIG = {
    "api_url": UNSERVED_URL,
    "token": AIOKK_TOKEN,
    "timezone": "Asia/Almaty",
    "request_timeout": 10,
}

TestTapAiokk = get_tap_test_class(
    TapAiokk,
    config=CONFIG,
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _serve() -> None:
    emulator = suite_emulator()
    emulator.mount("/aiokk", ACCOUNT)
    CONFIG["api_url"] = emulator.url_for("/aiokk")
