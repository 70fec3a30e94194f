"""The Singer SDK's standard tap tests for tap-alovoice, run against the emulator over real HTTP."""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_tap_test_class

from call_emulator.alovoice import AlovoiceAccount
from call_emulator.testing.alovoice_support import ALOVOICE_TOKEN, PREFIX
from call_emulator.testing.suite_emulator import UNSERVED_URL, suite_emulator
from tap_alovoice.tap import TapAlovoice

ACCOUNT = AlovoiceAccount(6, ALOVOICE_TOKEN, delay_seconds=0.05, seed=9)
# The SDK builds the test class from this config while the module is collected, and syncs with
# it later: _serve points it at the emulator first (call_emulator/testing/suite_emulator.py).
CONFIG = {
    "api_url": UNSERVED_URL,
    "token": ALOVOICE_TOKEN,
    "call_ids": ACCOUNT.call_ids(),
    "poll_interval_ms": 100,
    "poll_interval_max_ms": 200,
    "request_timeout": 10,
}

TestTapAlovoice = get_tap_test_class(
    TapAlovoice,
    config=CONFIG,
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _serve() -> None:
    emulator = suite_emulator()
    emulator.mount(PREFIX, ACCOUNT)
    CONFIG["api_url"] = emulator.url_for(PREFIX)
