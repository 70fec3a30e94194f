"""Refused logins, vendor errors and bad answers end a run with one clear line, exit code 1 and
no secret; what is temporary is retried first, what is not stops at once."""

from __future__ import annotations

import typing as t

from call_emulator import Emulator, FaultPlan, Request, Response
from call_emulator.messages import HTML_TYPE
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import (
    TWIN24_PASSWORD,
    TWIN24_PREFIXES,
    TWIN24_TOKEN,
    assert_no_secret,
    mount_twin24,
)
from call_emulator.twin24 import Twin24Account
from call_emulator.twin24.auth import nest_error

if t.TYPE_CHECKING:
    from pathlib import Path

ANALYSE = TWIN24_PREFIXES[1]


def assert_one_clean_error(run: TapRun, *words: str) -> None:
    assert run.exit_code == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    # The SDK may first log "An unhandled error occurred while syncing ..."; ours is the last.
    assert 1 <= len(run.error_lines) <= 2, run.stderr[-3000:]
    for word in words:
        assert word in run.error_lines[-1], run.error_lines[-1]


class Always:
    """A host that answers every request the same way, whatever the path."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.requests = 0

    def handle(self, request: Request) -> Response:  # noqa: ARG002 (the signature the caller fixes)
        self.requests += 1
        return self.response


def test_a_wrong_password_ends_the_run_with_one_line(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=10)
    config = mount_twin24(emulator, account) | {"password": TWIN24_PASSWORD + "-wrong"}
    run = run_tap("tap_twin24", config, tmp_path)
    assert_one_clean_error(run, "twin24 refused the login", "HTTP 401")
    assert account.logins == 0
    assert TWIN24_PASSWORD not in run.stdout + run.stderr


def test_an_expired_token_without_credentials_is_a_clear_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=50)
    config = mount_twin24(emulator, account)
    config = {k: v for k, v in config.items() if k not in ("email", "password")}
    run = run_tap("tap_twin24", config | {"token": TWIN24_TOKEN}, tmp_path)
    assert_one_clean_error(run, "twin24 rejected the token", "email and password")
    assert_no_secret(run)


def test_secrets_never_show_even_when_everything_fails(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=200)
    config = mount_twin24(emulator, account) | {"max_retries": 2, "token": TWIN24_TOKEN}
    emulator.faults = FaultPlan(1.0, ("500", "drop", "truncate_framed"), seed=1)
    run = run_tap("tap_twin24", config, tmp_path)
    emulator.faults = None
    assert run.exit_code == 1
    assert_no_secret(run)
    assert "retries exhausted" in run.error_lines[-1]


def test_a_dead_host_is_one_line(tmp_path: Path) -> None:
    config = {
        "email": "robot@example.com",
        "password": TWIN24_PASSWORD,
        "start_date": "2025-03-01T00:00:00Z",
        "auth_url": "http://127.0.0.1:9",
        "max_retries": 1,
        "backoff_ms": 10,
        "request_timeout": 1,
    }
    run = run_tap("tap_twin24", config, tmp_path)
    assert_one_clean_error(run, "kept failing")
    assert_no_secret(run)


def test_more_calls_in_one_second_than_the_cap_is_an_error_naming_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=100, second_burst=50_001, seed=19)
    config = mount_twin24(emulator, account)
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 1
    line = run.error_lines[-1]
    assert "50001 calls" in line and "2025-03-02T00:30:00+00:00" in line
    assert "cannot be exported completely" in line
    assert "Traceback" not in run.stderr


def test_an_html_page_for_a_page_of_calls_is_retried_then_reported(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = mount_twin24(emulator, Twin24Account(calls=10)) | {"max_retries": 2}
    page = Always(Response.text(f"<html>Maintenance {TWIN24_PASSWORD}</html>", 200, HTML_TYPE))
    emulator.mount(ANALYSE, page)

    run = run_tap("tap_twin24", config, tmp_path)

    assert_one_clean_error(run, "calls", "the answer is an HTML page", "retries exhausted")
    assert page.requests == 3, "the first try and two retries"
    assert run.records("calls") == []
    assert_no_secret(run)


def test_a_refusal_in_twin24s_words_stops_at_once_quoting_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = mount_twin24(emulator, Twin24Account(calls=10))
    refusal = Always(nest_error(403, "Forbidden resource", "Forbidden"))
    emulator.mount(ANALYSE, refusal)

    run = run_tap("tap_twin24", config, tmp_path)

    assert_one_clean_error(run, "calls", "HTTP 403", "twin24 answered: Forbidden resource")
    assert refusal.requests == 1, "a 403 is not retried"
    assert_no_secret(run)
