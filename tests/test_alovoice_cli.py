"""What Meltano sees of tap-alovoice: --about, --discover and --test."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import typing as t
from pathlib import Path

from tap_alovoice.redaction import MASK, SecretFilter, secret_values
from tap_alovoice.tap import TapAlovoice
from tests.alovoice_support import (
    ALOVOICE_TOKEN,
    ALOVOICE_TOKEN_IN_URL,
    alovoice_account,
    mount_alovoice,
)
from tests.emulator import Emulator


def tap_output(*args: str) -> t.Any:
    completed = subprocess.run(
        [sys.executable, "-m", "tap_alovoice", *args], capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def test_about_marks_the_token_secret_and_gives_defaults() -> None:
    settings = tap_output("--about", "--format=json")["settings"]
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
    defaults = {name: properties[name]["default"] for name in ("poll_interval", "max_wait")}
    assert defaults == {"poll_interval": 5, "max_wait": 900}
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
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert account.requests["callsendai"] == 0
    assert 0 < account.requests["callgetairesult"] <= 8
    assert ALOVOICE_TOKEN not in completed.stdout + completed.stderr
