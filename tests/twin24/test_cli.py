"""tap-twin24's command line: bad settings, refused logins, and secrets that never show."""

from __future__ import annotations

import typing as t

import pytest

from tests.emulator import Emulator, FaultPlan
from tests.emulator.twin24 import Twin24Account
from tests.taprun import TapRun, run_tap
from tests.twin24_support import TWIN24_PASSWORD, mount_twin24

if t.TYPE_CHECKING:
    from pathlib import Path

TOKEN_CANARY = "canary-twin24-token-3b8e1d"


def assert_one_clean_error(run: TapRun, *words: str) -> None:
    assert run.exit_code == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    # The SDK may first log "An unhandled error occurred while syncing ..."; ours is the last.
    assert 1 <= len(run.error_lines) <= 2, run.stderr[-3000:]
    for word in words:
        assert word in run.error_lines[-1], run.error_lines[-1]


def assert_no_secret(run: TapRun) -> None:
    output = run.stdout + run.stderr
    assert TWIN24_PASSWORD not in output
    assert TOKEN_CANARY not in output
    assert "eyJ" not in output, "a JWT reached the output"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"password": None}, ("email and password",)),
        ({"page_size": 2000}, ("page_size",)),
        ({"start_date": "yesterday"}, ("start_date",)),
        ({"end_date": "2020-01-01T00:00:00Z"}, ("end_date must be after start_date",)),
        ({"filter_period_by": "finishedAt"}, ("filter_period_by",)),
        ({"api_url": "ftp://example.com"}, ("api_url",)),
        ({"window_hours": 0}, ("window_hours",)),
        ({"window_hours": 1e12}, ("window_hours",)),
        ({"settle_seconds": -1}, ("settle_seconds",)),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_1(
    emulator: Emulator, tmp_path: Path, change: dict[str, t.Any], words: tuple[str, ...]
) -> None:
    config = mount_twin24(emulator, Twin24Account(calls=10)) | change
    config = {name: value for name, value in config.items() if value is not None}
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code != 0
    assert "Traceback" not in run.stderr
    assert all(word in run.stderr for word in words), run.stderr[-2000:]
    assert run.records("calls") == []
    assert_no_secret(run)


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
    run = run_tap("tap_twin24", config | {"token": TOKEN_CANARY}, tmp_path)
    assert_one_clean_error(run, "twin24 rejected the token", "email and password")
    assert_no_secret(run)


def test_a_ready_token_is_used_and_renewed_by_login_when_it_expires(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=50)
    config = mount_twin24(emulator, account) | {"token": TOKEN_CANARY}
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert len(run.records("calls")) == 50
    assert account.logins == 1
    assert_no_secret(run)


def test_secrets_never_show_even_when_everything_fails(emulator: Emulator, tmp_path: Path) -> None:
    account = Twin24Account(calls=200)
    config = mount_twin24(emulator, account) | {"max_retries": 2, "token": TOKEN_CANARY}
    emulator.faults = FaultPlan(1.0, ("500", "drop", "truncate_framed"), seed=1)
    run = run_tap("tap_twin24", config, tmp_path)
    emulator.faults = None
    assert run.exit_code == 1
    assert_no_secret(run)
    assert "retries exhausted" in run.error_lines[-1]


def test_a_run_with_fault_free_api_hides_the_login_token(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=100)
    account.max_token_ttl = 0.5
    config = mount_twin24(emulator, account) | {"page_size": 10}
    run = run_tap("tap_twin24", config, tmp_path, args=())
    assert run.exit_code == 0, run.stderr[-3000:]
    assert len(run.records("calls")) == 100
    assert_no_secret(run)
    assert "Logged in to twin24" in run.stderr


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


def test_a_state_whose_bookmark_is_not_a_time_is_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = mount_twin24(emulator, Twin24Account(calls=10))
    state = {"bookmarks": {"calls": {"replication_key": "updatedAt", "replication_key_value": "x"}}}
    run = run_tap("tap_twin24", config, tmp_path, state=state)
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    (line,) = run.error_lines
    assert "calls bookmark 'x' is not a date-time" in line and "meltano state set" in line


def test_a_config_path_with_an_equals_sign_is_read(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_twin24(emulator, Twin24Account(calls=20))
    run = run_tap("tap_twin24", config, tmp_path / "team=calls")
    assert run.exit_code == 0, run.stderr[-2000:]
    assert len(run.records("calls")) == 20
