"""Bad settings and vendor errors end a run with one clear line, exit code 1 and no secret."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import typing as t

import pytest

from call_emulator import Emulator, FaultPlan
from call_emulator.aiokk import ErrorMode
from call_emulator.testing.aiokk_support import AIOKK_TOKEN, aiokk_account, mount_aiokk
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

ERROR_BODIES = fixture_json("aiokk_error_bodies.json")


def assert_fails_cleanly(run: TapRun, *expected_words: str) -> str:
    """Exit 1, no traceback, no secret, and the last error line says what went wrong."""
    assert run.exit_code == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert AIOKK_TOKEN not in run.stdout + run.stderr
    assert run.error_lines, run.stderr[-2000:]
    last = run.error_lines[-1]
    for word in expected_words:
        assert word in last, last
    return last


def run_against_error(
    emulator: Emulator, tmp_path: Path, body: dict[str, str] | str, status: int, retries: int
) -> TapRun:
    """Run the tap against an account whose every export answers ``body`` with ``status``."""
    account = aiokk_account(dialogs=10)
    config = mount_aiokk(emulator, account)
    config["max_retries"] = retries
    account.error = ErrorMode(body=body, status=status)
    return run_tap("tap_aiokk", config, tmp_path)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"token": None}, "token"),
        ({"api_url": None}, "api_url"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"call_types": "all"}, "call_types"),
        ({"call_types": []}, "call_types"),
        ({"client_loyalty_grades": [0, 11]}, "client_loyalty_grades"),
        ({"start_date": "2025-13-45T00:00:00Z"}, "start_date"),
        ({"max_retries": "five"}, "max_retries"),
    ],
)
def test_bad_config_names_the_setting(
    emulator: Emulator, tmp_path: Path, change: dict[str, t.Any], named: str
) -> None:
    config = mount_aiokk(emulator, aiokk_account(dialogs=10))
    config.update(change)
    config = {key: value for key, value in config.items() if value is not None}

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert named in "\n".join(run.error_lines)
    assert emulator.request_log.total == 0
    assert AIOKK_TOKEN not in run.stdout + run.stderr


@pytest.mark.parametrize("status", [200, 401, 403])
@pytest.mark.parametrize("error_body", ERROR_BODIES, ids=lambda b: b["error"])
def test_vendor_error_body_ends_the_run_quoting_it(
    emulator: Emulator, tmp_path: Path, error_body: dict[str, str], status: int
) -> None:
    account = aiokk_account(dialogs=10)
    config = mount_aiokk(emulator, account)
    account.error = ErrorMode(body=error_body, status=status)

    run = run_tap("tap_aiokk", config, tmp_path)

    detail = error_body.get("message") or error_body["code"]
    assert_fails_cleanly(run, error_body["error"], detail)
    assert run.records("dialogs") == []
    assert emulator.request_log.total == 1, "a permanent refusal must not be retried"


def test_wrong_token_is_reported_without_echoing_it(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_aiokk(emulator, aiokk_account(dialogs=10, token="the-real-token"))

    run = run_tap("tap_aiokk", config, tmp_path)

    assert_fails_cleanly(run, "Token not found")


def test_api_that_keeps_failing_ends_within_the_retry_budget(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = mount_aiokk(emulator, aiokk_account(dialogs=10))
    config["max_retries"] = 3
    emulator.faults = FaultPlan(rate=1.0, kinds=("503",))

    started = time.monotonic()
    run = run_tap("tap_aiokk", config, tmp_path)

    assert_fails_cleanly(run, "503")
    assert emulator.request_log.total == 4
    assert time.monotonic() - started < 30
    assert "Retry 3 of 3" in run.stderr


@pytest.mark.parametrize(
    "body",
    ["<html><body>Сервис не доступен</body></html>", '[{"call": {"dialogId": 1', ""],
    ids=["html", "cut-json", "empty"],
)
def test_answer_that_is_not_json_is_retried_then_reported(
    emulator: Emulator, tmp_path: Path, body: str
) -> None:
    run = run_against_error(emulator, tmp_path, body, status=200, retries=2)

    assert_fails_cleanly(run, "not")
    assert emulator.request_log.total == 3


def test_service_unavailable_body_is_retried(emulator: Emulator, tmp_path: Path) -> None:
    body = {"error": "Сервис не доступен"}
    run = run_against_error(emulator, tmp_path, body, status=200, retries=1)

    assert_fails_cleanly(run, "Сервис не доступен")
    assert emulator.request_log.total == 2


@pytest.mark.parametrize("status", [200, 401, 500])
def test_token_echoed_by_the_server_is_masked(
    emulator: Emulator, tmp_path: Path, status: int
) -> None:
    echo = {"error": "Token not found", "message": f"token {AIOKK_TOKEN} is unknown"}
    run = run_against_error(emulator, tmp_path, echo, status=status, retries=1)

    assert_fails_cleanly(run, "Token not found", "token **** is unknown")


def test_html_page_echoing_the_token_is_not_quoted(emulator: Emulator, tmp_path: Path) -> None:
    body = f"<html>{AIOKK_TOKEN}</html>"
    run = run_against_error(emulator, tmp_path, body, status=200, retries=1)

    assert_fails_cleanly(run, "HTML", "retries exhausted")
    assert AIOKK_TOKEN[:12] not in run.stdout + run.stderr


def test_token_of_the_wrong_type_is_not_printed(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_aiokk(emulator, aiokk_account(dialogs=10))
    config["token"] = 987654321987

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 1
    assert "token" in "\n".join(run.error_lines)
    assert "987654321987" not in run.stdout + run.stderr


def test_refused_connection_names_the_host_once_retries_run_out(tmp_path: Path) -> None:
    with Emulator() as closed:
        url = closed.url
    config = {"api_url": f"{url}/aiokk", "token": AIOKK_TOKEN, "max_retries": 2}
    config["backoff_ms"] = 10

    run = run_tap("tap_aiokk", config, tmp_path)

    host = url.removeprefix("http://")
    assert_fails_cleanly(run, "call_type=1", host, "retries exhausted")
    assert "Retry 2 of 2 in" in run.stderr
    assert "export call_type=1: the connection was refused (are the host and port" in run.stderr
    assert "Backing off" not in run.stderr


@pytest.mark.parametrize("content", [None, "{bad json"], ids=["missing", "not-json"])
def test_unreadable_config_file_is_one_line(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content)
    completed = subprocess.run(
        [sys.executable, "-m", "tap_aiokk", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean_environ(),
    )
    assert completed.returncode == 1
    [line] = completed.stderr.strip().splitlines()
    reason = "No such file or directory" if content is None else "not JSON"
    assert "| ERROR " in line
    assert line.split(" | ")[-1].startswith(f"cannot read --config {path}: {reason}")
    assert "Traceback" not in completed.stderr


def test_retry_after_is_honoured(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_aiokk(emulator, aiokk_account(dialogs=20))
    emulator.faults = FaultPlan(rate=0.4, kinds=("429",), seed=4, retry_after=1)

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-2000:]
    waits = re.findall(r"Retry \d+ of \d+ in ([\d.]+) s: .*HTTP 429", run.stderr)
    assert len(waits) == emulator.faults_injected["429"] > 0
    assert all(float(wait) >= 1 for wait in waits), waits
