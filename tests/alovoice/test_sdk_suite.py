"""The Singer SDK's standard tap tests for tap-alovoice, run against the emulator over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import get_tap_test_class

from tap_alovoice.tap import TapAlovoice
from tests.emulator import Emulator
from tests.emulator.alovoice import AlovoiceAccount
from tests.helpers.alovoice_support import ALOVOICE_TOKEN, PREFIX

# The SDK builds the test class from a fixed config at import time, so the server starts here.
ACCOUNT = AlovoiceAccount(6, ALOVOICE_TOKEN, delay_seconds=0.05, seed=9)
EMULATOR = Emulator()
EMULATOR.mount(PREFIX, ACCOUNT)
EMULATOR.start()

TestTapAlovoice = get_tap_test_class(
    TapAlovoice,
    config={
        "api_url": EMULATOR.url_for(PREFIX),
        "token": ALOVOICE_TOKEN,
        "call_ids": ACCOUNT.call_ids(),
        "poll_interval_ms": 100,
        "poll_interval_max_ms": 200,
        "request_timeout": 10,
    },
    # The SDK's default, True, would add TAP_* variables and a .env it finds to the config.
    parse_env_config=False,
)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator() -> t.Iterator[None]:
    yield
    EMULATOR.stop()
