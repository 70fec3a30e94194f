"""tap-twin24's command line: bad settings, a ready token, and secrets that never show."""

from __future__ import annotations

import typing as t

import pytest

from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import TWIN24_TOKEN, assert_no_secret, mount_twin24
from call_emulator.twin24 import Twin24Account

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"password": None}, ("email and password",)),
        ({"page_size": 2000}, ("page_size",)),
        ({"start_date": "yesterday"}, ("start_date",)),
        ({"end_date": "2020-01-01T00:00:00Z"}, ("end_date must be after start_date",)),
        ({"filter_period_by": "finishedAt"}, ("filter_period_by",)),
        ({"api_url": "ftp://example.com"}, ("api_url",)),
        ({"auth_url": "https:iam.twin24.ai"}, ("auth_url", "with a host")),
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


def test_a_ready_token_is_used_and_renewed_by_login_when_it_expires(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=50)
    config = mount_twin24(emulator, account) | {"token": TWIN24_TOKEN}
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert len(run.records("calls")) == 50
    assert account.logins == 1
    assert_no_secret(run)


def test_a_run_with_fault_free_api_hides_the_login_token(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = Twin24Account(calls=100)
    account.max_token_ttl = 0.5
    # With the METRIC lines, which the secrets scan covers as well.
    config = mount_twin24(emulator, account) | {"page_size": 10, "log_details": True}
    run = run_tap("tap_twin24", config, tmp_path, args=())
    assert run.exit_code == 0, run.stderr[-3000:]
    assert len(run.records("calls")) == 100
    assert_no_secret(run)
    assert "Logged in to twin24" in run.stderr


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


def test_the_log_is_as_long_for_25_pages_as_for_3(emulator: Emulator, tmp_path: Path) -> None:
    """No line per request or per page: the SDK's METRIC lines and its lines for each sync of
    call_messages (one per page of calls) are left out, unless log_details asks for them."""
    runs = {}
    for calls in (50, 500):
        config = mount_twin24(emulator, Twin24Account(calls=calls)) | {"page_size": 20}
        runs[calls] = run_tap("tap_twin24", config, tmp_path / str(calls))
        assert runs[calls].exit_code == 0, runs[calls].stderr[-3000:]
    small, large = (runs[calls].stderr.splitlines() for calls in (50, 500))
    assert len(large) <= len(small) + 2, "\n".join(large)
    assert not [line for line in small + large if "METRIC" in line]
    assert runs[500].stderr.count("Beginning sync of 'call_messages'") == 1
    assert "| done: " in large[-1] and "calls 500" in large[-1]

    config = mount_twin24(emulator, Twin24Account(calls=50)) | {"page_size": 20}
    detailed = run_tap("tap_twin24", config | {"log_details": True}, tmp_path / "details")
    assert detailed.exit_code == 0, detailed.stderr[-3000:]
    assert '"metric":"http_request_duration"' in detailed.stderr
    assert detailed.stderr.count("Beginning sync of 'call_messages'") >= 3  # one per page
    assert_no_secret(detailed)
