"""What Meltano sees of tap-alovoice: --about, --discover and --test."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import typing as t

import pytest

from call_emulator.testing.alovoice_support import (
    ALOVOICE_TOKEN,
    ALOVOICE_TOKEN_IN_URL,
    alovoice_account,
    assert_no_token,
    mount_alovoice,
)
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import TapRun, run_tap, tap_json
from singer_tap_kit.redaction import MASK, SecretFilter, secret_values
from tap_alovoice.tap import TapAlovoice, main

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator


def tap_output(*args: str) -> t.Any:
    return tap_json("tap_alovoice", *args)


def test_about_marks_the_token_secret_and_gives_defaults() -> None:
    about = tap_output("--about", "--format=json")
    # It never sends ACTIVATE_VERSION, and BATCH files would come after the state they settle.
    assert "activate-version" not in about["capabilities"]
    assert "batch" not in about["capabilities"]
    assert {"catalog", "state", "discover", "about"} <= set(about["capabilities"])
    settings = about["settings"]
    assert "batch_config" not in settings["properties"]
    properties = settings["properties"]
    assert settings["required"] == ["token"]
    assert properties["token"]["secret"] is True
    assert properties["api_url"]["default"] == "https://cld.alovoice.uz"
    assert properties["submit"]["default"] is True
    assert properties["max_concurrency"]["default"] == 8
    assert (properties["max_concurrency"]["minimum"], properties["max_concurrency"]["maximum"]) == (
        1,
        64,
    )
    defaults = {name: properties[name]["default"] for name in ("poll_interval_ms", "max_wait")}
    assert defaults == {"poll_interval_ms": 1000, "max_wait": 900}
    assert all(spec.get("description") for spec in properties.values())


def test_discover_declares_keys_and_dates(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"token": "x", "call_ids": ["1"]}))
    catalog = tap_output("--config", str(config), "--discover")
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert set(streams) == {"analyses", "fragments", "tags"}
    assert streams["analyses"]["key_properties"] == ["call_id"]
    assert streams["fragments"]["key_properties"] == ["fragment_id"]
    assert streams["tags"]["key_properties"] == ["call_id", "position"]
    for entry in streams.values():
        properties = entry["schema"]["properties"]
        assert properties["collected_at"]["format"] == "date-time"
    assert streams["analyses"]["schema"]["properties"]["begin_time"]["format"] == "date-time"


def test_secret_filter_masks_the_token_as_written_and_as_in_a_url() -> None:
    secrets = secret_values({"token": ALOVOICE_TOKEN}, TapAlovoice.config_jsonschema)
    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter(secrets))
    record = logging.LogRecord(
        "urllib3",
        logging.DEBUG,
        __file__,
        1,
        '"GET /callgetairesult/%s/1 HTTP/1.1" 200 (token %s)',
        (ALOVOICE_TOKEN_IN_URL, ALOVOICE_TOKEN),
        None,
    )
    handler.filter(record)
    text = logging.Formatter().format(record)
    assert ALOVOICE_TOKEN not in text
    assert ALOVOICE_TOKEN_IN_URL not in text
    assert text.count(MASK) == 2


def test_connection_test_submits_nothing(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(30, delay_seconds=0.1)
    account.presubmit(account.call_ids()[5:6], seconds_ago=1)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(mount_alovoice(emulator, account)))

    completed = subprocess.run(
        [sys.executable, "-m", "tap_alovoice", "--config", str(config), "--test"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean_environ(),
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert account.requests["callsendai"] == 0
    # The token check, then a result query for at most max_concurrency calls.
    assert 1 < account.requests["callgetairesult"] <= 1 + 8
    assert ALOVOICE_TOKEN not in completed.stdout + completed.stderr


def connection_test(config: dict[str, t.Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "tap_alovoice", "--config", str(path), "--test"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean_environ(),
    )


def error_lines(completed: subprocess.CompletedProcess[str]) -> list[str]:
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr
    assert "canary-alovoice-token" not in completed.stdout + completed.stderr
    return [line for line in completed.stderr.splitlines() if "| ERROR" in line]


def test_connection_test_failures_are_one_line(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(5, token="the-real-token")
    config = mount_alovoice(emulator, account)

    [refused] = error_lines(connection_test(config, tmp_path))
    assert "alovoice refused the token" in refused
    assert "check the token setting" in refused

    config["max_concurrency"] = 0
    (line,) = error_lines(connection_test(config, tmp_path))
    assert "max_concurrency: 0 is less than the minimum of 1" in line
    assert account.requests.total <= 5, "the second test sent nothing"


def test_connection_test_against_a_wrong_api_url_fails(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(5)
    config = mount_alovoice(emulator, account)
    config["api_url"] = emulator.url_for("/alovoice-v2")

    [line] = error_lines(connection_test(config, tmp_path))

    assert "knows none of the 5 calls" in line
    assert "check api_url" in line
    assert account.requests.total == 0


def test_a_config_path_with_an_equals_sign_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only options are split at "=" (``--config=PATH``); a path keeps its own."""
    folder = tmp_path / "team=calls"
    folder.mkdir()
    config = folder / "config.json"
    config.write_text(json.dumps({"token": "x", "call_ids": ["1"]}))
    started: list[list[str]] = []
    monkeypatch.setattr(TapAlovoice, "cli", lambda: started.append(sys.argv[1:]))
    for arguments in (["--config", str(config)], [f"--config={config}"]):
        monkeypatch.setattr(sys, "argv", ["tap-alovoice", *arguments])
        main()
    assert started == [["--config", str(config)], [f"--config={config}"]]

    monkeypatch.setattr(sys, "argv", ["tap-alovoice", f"--config={folder}/missing.json"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 1
    assert len(started) == 2


def _sync(emulator: Emulator, calls: int, workdir: Path, **settings: t.Any) -> TapRun:
    account = alovoice_account(calls, delay_seconds=0.05)
    run = run_tap("tap_alovoice", mount_alovoice(emulator, account) | settings, workdir)
    assert run.exit_code == 0, run.stderr[-3000:]
    return run


def test_the_log_is_as_long_for_200_calls_as_for_20(emulator: Emulator, tmp_path: Path) -> None:
    """No line per request, per call or per child sync: the SDK's METRIC lines and its lines
    for each sync of fragments and tags (one per call) are left out; each stream's first
    ones stay, so the log still names every stream that runs."""
    small = _sync(emulator, 20, tmp_path / "small").stderr.splitlines()
    large_run = _sync(emulator, 200, tmp_path / "large")
    large = large_run.stderr.splitlines()
    # A line or two may differ (whether some analyses were still waiting), not 10 times more.
    assert len(large) <= len(small) + 2, "\n".join(large)
    assert len(large) < 25, "\n".join(large)
    assert not [line for line in small + large if "METRIC" in line]
    for stream in ("analyses", "fragments", "tags"):
        assert large_run.stderr.count(f"Starting incremental sync of '{stream}'") == 1
        assert large_run.stderr.count(f"Beginning sync of '{stream}'") == 1
    records = sum(message["type"] == "RECORD" for message in large_run.messages)
    assert f"| done: {records:,} records in " in large[-1]
    assert "analyses 200" in large[-1]


def test_log_details_brings_back_the_sdk_lines(emulator: Emulator, tmp_path: Path) -> None:
    """For debugging: every request's METRIC line and every child sync, as the SDK logs them,
    with the token masked in them as everywhere."""
    run = _sync(emulator, 20, tmp_path, log_details=True)
    lines = run.stderr.splitlines()
    assert sum('"metric":"http_request_duration"' in line for line in lines) >= 20
    assert run.stderr.count("Beginning sync of 'fragments'") == 20  # one per call
    assert "| done: " in lines[-1]
    assert_no_token(run)
