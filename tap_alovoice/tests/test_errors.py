"""Failures end a run with one clear line and exit 1, or are retried; the token never shows."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError

from call_emulator import Emulator, FaultPlan, Request, Response
from call_emulator.alovoice import CALL_NOT_FOUND, INVALID_TOKEN
from call_emulator.testing.alovoice_support import (
    ALOVOICE_TOKEN,
    PREFIX,
    alovoice_account,
    assert_delivers,
    assert_no_token,
    mount_alovoice,
    submitted_once,
)
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import TapRun, run_tap
from singer_tap_kit.state import FIX
from tap_alovoice.tap import TapAlovoice

SETTINGS = {"token": ALOVOICE_TOKEN, "call_ids": ["1716207617.2391"]}


def assert_fails_cleanly(run: TapRun, *expected_words: str) -> str:
    """Exit 1, no traceback, no token, and one error line that says what went wrong."""
    assert run.exit_code == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert_no_token(run)
    assert len(run.error_lines) == 1, run.error_lines
    [line] = run.error_lines
    for word in expected_words:
        assert word in line, line
    return line


class Always:
    """A vendor that answers every request the same way, whatever the path."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.requests = 0

    def handle(self, request: Request) -> Response:  # noqa: ARG002 (the signature the caller fixes)
        self.requests += 1
        return self.response


@pytest.mark.parametrize("mode", ["401", "403", "200"])
def test_wrong_token_ends_the_run_with_one_line(
    emulator: Emulator, tmp_path: Path, mode: t.Literal["401", "403", "200"]
) -> None:
    account = alovoice_account(20, token="the-real-token")
    account.token_error_mode = mode
    config = mount_alovoice(emulator, account)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_fails_cleanly(run, "alovoice refused the token", INVALID_TOKEN, "check the token")
    assert run.records("analyses") == []
    assert account.requests["callsendai"] == 0
    assert account.requests.total <= config.get("max_concurrency", 8)


def settled_state(done: list[str], failed: t.Sequence[str] = ()) -> dict[str, t.Any]:
    return {"bookmarks": {"analyses": {"done_call_ids": done, "failed_call_ids": list(failed)}}}


@pytest.mark.parametrize("mode", ["401", "403", "200"])
@pytest.mark.parametrize("test", [False, True], ids=["sync", "--test"])
def test_wrong_token_ends_a_run_with_nothing_left_to_collect(
    emulator: Emulator, tmp_path: Path, mode: t.Literal["401", "403", "200"], test: bool
) -> None:
    """Every call is settled in the state, so no call needs a request: the token check is the
    run's one request, a result query (never a billed submission), and it ends the run."""
    account = alovoice_account(4, token="the-real-token")
    account.token_error_mode = mode
    config = mount_alovoice(emulator, account)
    calls = account.call_ids()
    state = settled_state(calls[:3], calls[3:])

    run = run_tap("tap_alovoice", config, tmp_path, state=state, args=["--test"] if test else [])

    assert_fails_cleanly(run, "alovoice refused the token", INVALID_TOKEN, "check the token")
    assert account.requests.snapshot() == {"callgetairesult": 1}
    assert account.submissions.total == 0
    assert [m for m in run.messages if m["type"] == "RECORD"] == []


def test_the_token_check_of_a_run_with_nothing_left_to_collect_passes(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The right token: one result query, about a call collected before, and nothing else
    (its METRIC line too, which `log_details` brings back)."""
    account = alovoice_account(4)
    config = mount_alovoice(emulator, account) | {"log_details": True}
    calls = account.call_ids()
    state = settled_state(calls[2:], calls[:2])

    run = run_tap("tap_alovoice", config, tmp_path, state=state)

    assert run.exit_code == 0, run.stderr[-3000:]
    assert run.error_lines == []
    assert f"Checking the token with a result query for call {calls[2]}" in run.stderr
    assert account.requests.snapshot() == {"callgetairesult": 1}
    assert run.stderr.count('"metric":"http_request_duration"') == 1
    assert account.submissions.total == 0
    assert [m for m in run.messages if m["type"] == "RECORD"] == []
    assert run.final_state["bookmarks"]["analyses"]["done_call_ids"] == sorted(calls[2:])
    assert_no_token(run)


def test_wrong_token_and_an_empty_call_list_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    """An empty list is refused before any request (it would make the state forget calls)."""
    account = alovoice_account(3, token="the-real-token")
    config = mount_alovoice(emulator, account)
    listing = tmp_path / "calls.txt"
    listing.write_text("", encoding="utf-8")
    del config["call_ids"]
    config["call_ids_file"] = str(listing)

    run = run_tap("tap_alovoice", config, tmp_path / "run")

    assert_fails_cleanly(run, f"call_ids_file: {listing} lists no call id")
    assert account.requests.total == 0


def test_token_echoed_by_the_server_is_masked(emulator: Emulator, tmp_path: Path) -> None:
    echo = Always(Response.json({"error": f"Token {ALOVOICE_TOKEN} is not valid"}, 200))
    emulator.mount(PREFIX, echo)
    config = mount_alovoice(emulator, alovoice_account(3))
    emulator.mount(PREFIX, echo)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_fails_cleanly(run, "alovoice refused the token", "Token **** is not valid")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"call_ids": None}, "set call_ids, call_ids_file, or both"),
        ({"call_ids": []}, "call_ids: the list is empty"),
        (
            {"call_ids_file": "no/such/calls.txt"},
            f"call_ids_file: cannot read {Path.cwd() / 'no/such/calls.txt'} (no/such/calls.txt",
        ),
        ({"max_concurrency": 0}, "max_concurrency: 0 is less than the minimum of 1"),
        ({"poll_interval_max_ms": 100}, "poll_interval_max"),
        ({"batch_config": {"encoding": {"format": "jsonl"}}}, "batch_config: tap-alovoice does"),
    ],
)
def test_each_bad_setting_is_named(change: dict[str, t.Any], named: str) -> None:
    config = {**SETTINGS, **change}
    config = {key: value for key, value in config.items() if value is not None}
    with pytest.raises(ConfigValidationError) as failure:
        TapAlovoice(config=config, validate_config=True)
    assert [error for error in failure.value.errors if named in error] == failure.value.errors


def test_bad_config_is_one_line_naming_the_setting(emulator: Emulator, tmp_path: Path) -> None:
    """An export that has not written its call list yet must not make the state forget calls."""
    account = alovoice_account(3)
    config = mount_alovoice(emulator, account)
    listing = tmp_path / "calls.txt"
    listing.write_text("# calls of 2025-05-01\n\n", encoding="utf-8")
    del config["call_ids"]
    config["call_ids_file"] = str(listing)
    state = {"bookmarks": {"analyses": {"done_call_ids": account.call_ids()}}}

    run = run_tap("tap_alovoice", config, tmp_path / "run", state=state)

    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    named = [line for line in run.error_lines if f"call_ids_file: {listing} lists no" in line]
    assert len(named) == 1, run.stderr[-2000:]
    assert [line for line in run.error_lines if "Config validation failed" not in line] == named
    assert run.messages == [], "no STATE: the saved state stays as it was"
    assert account.requests.total == 0
    assert_no_token(run)


def test_a_relative_call_ids_file_is_read_from_the_meltano_project(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Meltano started from another folder (a scheduler's): the path in meltano.yml still
    starts in the project, which Meltano names in MELTANO_PROJECT_ROOT."""
    account = alovoice_account(3)
    config = mount_alovoice(emulator, account)
    del config["call_ids"]
    project = tmp_path / "project"
    (project / "extract").mkdir(parents=True)
    (project / "extract" / "ids.txt").write_text("\n".join(account.call_ids()) + "\n")
    config["call_ids_file"] = "extract/ids.txt"

    run = run_tap(
        "tap_alovoice", config, tmp_path / "elsewhere", env={"MELTANO_PROJECT_ROOT": str(project)}
    )

    assert_delivers(run, account, account.call_ids())


def test_a_missing_call_ids_file_is_one_line_naming_its_absolute_path(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    config = {"token": ALOVOICE_TOKEN, "call_ids_file": "extract/ids.txt"}

    run = run_tap(
        "tap_alovoice", config, tmp_path / "elsewhere", env={"MELTANO_PROJECT_ROOT": str(project)}
    )

    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    [line] = run.error_lines
    absolute = project / "extract" / "ids.txt"
    assert (
        f"call_ids_file: cannot read {absolute} (extract/ids.txt from $MELTANO_PROJECT_ROOT)"
        in line
    )
    assert "No such file or directory" in line
    assert run.messages == []


def test_dead_port_ends_the_run_once_retries_run_out(tmp_path: Path) -> None:
    with Emulator() as closed:
        url = closed.url_for(PREFIX)
    config = {
        "api_url": url,
        "token": ALOVOICE_TOKEN,
        "call_ids": [f"call-{n}" for n in range(12)],
        "max_retries": 2,
        "backoff_ms": 10,
    }

    run = run_tap("tap_alovoice", config, tmp_path)

    host = url.removeprefix("http://").split("/")[0]
    # The token check, the run's first request, meets the dead port.
    assert_fails_cleanly(
        run,
        f"alovoice result query for call call-0 at {host}",
        "the connection was refused",
        "(retries exhausted)",
    )
    assert "Retry 2 of 2 in" in run.stderr
    assert "Backing off" not in run.stderr
    assert run.records("analyses") == []


def test_server_errors_are_retried_then_reported(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_alovoice(emulator, alovoice_account(4))
    config.update(max_retries=2, max_concurrency=1)
    emulator.faults = FaultPlan(1.0, kinds=("503",))

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_fails_cleanly(run, "HTTP 503", "retries")
    assert "Retry 2 of 2 in" in run.stderr
    assert emulator.request_log.total == 3 + 3 * 3, (
        "the token check, then three calls in a row, three tries each"
    )
    assert "The token check got no usable answer" in run.stderr


@pytest.mark.parametrize(
    "body",
    [f"<html><body>Maintenance {ALOVOICE_TOKEN}</body></html>", '{"answer": {"begin_'],
    ids=["html", "cut-json"],
)
def test_answer_that_is_not_json_is_retried_then_reported(
    emulator: Emulator, tmp_path: Path, body: str
) -> None:
    vendor = Always(Response.text(body, 200))
    config = mount_alovoice(emulator, alovoice_account(3))
    emulator.mount(PREFIX, vendor)
    config["max_retries"] = 1

    run = run_tap("tap_alovoice", config, tmp_path)

    line = assert_fails_cleanly(run, "the answer is", "after 1 retry each")
    assert "Maintenance" not in run.stderr
    assert vendor.requests == 2 + 3 * 2, "the token check, then three calls, two tries each"
    assert re.search(r"the answer is (an HTML|JSON that breaks)", line)


def test_wrong_api_url_is_not_taken_for_unknown_calls(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(5)
    config = mount_alovoice(emulator, account)
    config["api_url"] = emulator.url_for("/alovoice-v2")

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_fails_cleanly(run, "knows none of the", "check api_url")
    assert run.records("analyses") == []
    assert account.requests.total == 0


def test_html_404_page_names_api_url(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_alovoice(emulator, alovoice_account(3))
    emulator.mount(PREFIX, Always(Response.text("<html>404 Not Found</html>", 404)))

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_fails_cleanly(run, "HTTP 404", "check api_url")


def test_retry_after_is_honoured(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(6, delay_seconds=0.2)
    config = mount_alovoice(emulator, account)
    emulator.faults = FaultPlan(0.15, kinds=("429",), seed=4, retry_after=1)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert_delivers(run, account, account.call_ids())
    assert submitted_once(account, account.call_ids())
    retried = re.findall(r"Retry \d+ of \d+ in ([\d.]+) s: result query .*HTTP 429", run.stderr)
    resubmitted = re.findall(r"submission of call .*HTTP 429.*in ([\d.]+) s, to submit", run.stderr)
    assert len(retried) + len(resubmitted) == emulator.faults_injected["429"] > 0
    assert all(float(wait) >= 1 for wait in retried + resubmitted)


def test_debug_logging_never_shows_the_token(emulator: Emulator, tmp_path: Path) -> None:
    """urllib3 logs every URL at DEBUG level; the masking filter is the net under it."""
    account = alovoice_account(3, delay_seconds=0.1)
    config = mount_alovoice(emulator, account)

    run = run_tap("tap_alovoice", config, tmp_path, env={"LOGLEVEL": "DEBUG"})

    assert_delivers(run, account, account.call_ids())
    assert "GET /alovoice/callgetairesult/****/" in run.stderr


def test_unreadable_config_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "config.json"
    completed = subprocess.run(
        [sys.executable, "-m", "tap_alovoice", "--config", str(missing)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean_environ(),
    )
    assert completed.returncode == 1
    [line] = completed.stderr.strip().splitlines()
    assert line.endswith(f"cannot read --config {missing}: No such file or directory")


def test_one_error_text_for_every_call_ends_the_run_and_fails_none(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A refusal that does not say "token" is still not about the calls: nothing is failed."""
    account = alovoice_account(5, delay_seconds=0.1)
    config = mount_alovoice(emulator, account)
    denied = Always(Response.json({"error": "Доступ запрещён"}, 200))  # "access denied"
    emulator.mount(PREFIX, denied)

    first = run_tap("tap_alovoice", config, tmp_path / "first")

    assert_fails_cleanly(first, "'Доступ запрещён' for 5 calls", "No call was recorded as failed")
    assert first.records("analyses") == []
    assert all(not s["bookmarks"]["analyses"]["failed_call_ids"] for s in first.states)
    assert denied.requests == 1 + 5, "the token check, one result query per call, no submission"

    emulator.mount(PREFIX, account)  # the account is in order again
    state = first.states[-1] if first.states else None
    second = run_tap("tap_alovoice", config, tmp_path / "second", state=state)

    assert_delivers(second, account, account.call_ids())
    assert submitted_once(account, account.call_ids())


class RetryLater:
    """Asks to retry one call in a minute; refuses the token for the others after a moment,
    once the token check (the run's first request, about another call) has passed: a token
    revoked while the run is under way."""

    def __init__(self) -> None:
        self.checked = False

    def handle(self, request: Request) -> Response:
        if not self.checked and not request.path.endswith("/slow"):
            self.checked = True
            return Response.json({"error": CALL_NOT_FOUND}, 404)
        if request.path.endswith("/slow"):
            response = Response.text("busy", 429)
            response.headers["Retry-After"] = "60"
            return response
        time.sleep(0.3)
        return Response.json({"error": INVALID_TOKEN}, 401)


def test_a_fatal_error_does_not_wait_for_a_retry(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_alovoice(emulator, alovoice_account(1))
    emulator.mount(PREFIX, RetryLater())
    config["call_ids"] = ["b", "slow"]

    started = time.monotonic()
    run = run_tap("tap_alovoice", config, tmp_path, timeout=30)

    assert time.monotonic() - started < 10
    assert_fails_cleanly(run, "alovoice refused the token", "result query for call b")
    assert re.search(r"Retry 1 of 10 in [56]\d\.\d s: result query for call slow", run.stderr)


def test_sigterm_does_not_wait_for_a_retry(emulator: Emulator, tmp_path: Path) -> None:
    config = mount_alovoice(emulator, alovoice_account(1))
    emulator.mount(PREFIX, RetryLater())
    config["call_ids"] = ["slow"]
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    with subprocess.Popen(
        [sys.executable, "-m", "tap_alovoice", "--config", str(config_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=clean_environ(),
    ) as tap:
        assert tap.stderr is not None
        try:
            for line in tap.stderr:
                if "Retry 1 of 10" in line:
                    break
            started = time.monotonic()
            tap.send_signal(signal.SIGTERM)
            tap.wait(timeout=30)
        finally:
            tap.kill()
        rest = tap.stderr.read()
    assert time.monotonic() - started < 5
    assert "Gracefully shutting down" in rest


def test_a_malformed_state_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(3)
    config = mount_alovoice(emulator, account)
    state = {"bookmarks": {"analyses": {"pending_call_ids": account.call_ids()}}}

    run = run_tap("tap_alovoice", config, tmp_path, state=state)

    line = assert_fails_cleanly(run, "cannot use --state: bookmarks.analyses.pending_call_ids")
    assert line.endswith(FIX)
    assert run.records("analyses") == []
    assert account.requests.total == 0
