"""Shared twin24 test helpers: canary credentials and mounting an account's three hosts.

The password is a canary: no output of any tap run may contain it. mount_twin24 gives an account
still holding the emulator's default user these canary credentials, so every test uses them.
"""

from __future__ import annotations

import typing as t

from call_emulator.twin24 import DEFAULT_EMAIL, DEFAULT_PASSWORD, Twin24Account

if t.TYPE_CHECKING:
    from call_emulator import Emulator, Vendor
    from call_emulator.testing.taprun import TapRun

TWIN24_EMAIL = "tap-tests@twin24.example"
TWIN24_PASSWORD = "canary-twin24-password-8f2c41d7e9"
TWIN24_TOKEN = "canary-twin24-token-3b8e1d"
"""A ready token given in the settings: a canary too."""
TWIN24_PREFIXES = ("/twin24/iam", "/twin24/analyse", "/twin24/cis")
"""Where the iam, analyse and cis hosts are mounted, in that order."""


def mount_twin24(emulator: Emulator, account: Twin24Account) -> dict[str, t.Any]:
    """Serve ``account`` and return a tap config that reads all of it quickly and retries a lot."""
    if (account.email, account.password) == (DEFAULT_EMAIL, DEFAULT_PASSWORD):
        account.set_user(TWIN24_EMAIL, TWIN24_PASSWORD)
    hosts: tuple[Vendor, ...] = (account.iam, account.analyse, account.cis)
    for prefix, host in zip(TWIN24_PREFIXES, hosts, strict=True):
        emulator.mount(prefix, host)
    iam, analyse, cis = TWIN24_PREFIXES
    return {
        "auth_url": emulator.url_for(iam),
        "api_url": emulator.url_for(analyse),
        "tasks_url": emulator.url_for(cis),
        "email": account.email,
        "password": account.password,
        "start_date": account.first_moment().isoformat(),
        "end_date": account.end_moment().isoformat(),
        "request_timeout": 2,
        "max_retries": 10,
        "backoff_ms": 50,
    }


def assert_no_secret(run: TapRun) -> None:
    """Neither canary nor any JWT twin24 issued reached the run's output."""
    output = run.stdout + run.stderr
    assert TWIN24_PASSWORD not in output
    assert TWIN24_TOKEN not in output
    assert "eyJ" not in output, "a JWT reached the output"
