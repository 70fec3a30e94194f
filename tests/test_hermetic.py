"""Hermetic: what the harness starts takes no setting from the machine it runs on.

A .env in the checkout and the same variables in the test process point every tap and target
at a canary (a loopback listener that records each connection) and narrow what the taps
select. The taps started by call_emulator.testing.taprun (given --config=ENV on top of their
config file, so that they do look at variables and .env) must still read the emulator, all of
it; `meltano config print` started by harness.meltano_project must still resolve meltano.yml's
values.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from call_emulator.testing.aiokk_truth import finished
from call_emulator.testing.alovoice_support import alovoice_account, mount_alovoice
from call_emulator.testing.hermetic import foreign
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account
from harness.meltano_project import PROJECT_ROOT, meltano

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

MELTANO_PLUGINS = ("tap-aiokk", "tap-twin24", "tap-alovoice", "target-postgres")
URL_SETTINGS = {
    "tap-aiokk": ("api_url",),
    "tap-twin24": ("auth_url", "api_url", "tasks_url"),
    "tap-alovoice": ("api_url",),
}


class Canary:
    """A TCP listener on 127.0.0.1 that records, and drops, every connection made to it."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.port: int = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                connection, peer = self._socket.accept()
                self.connections.append(peer)
                connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.setblocking(False)
        with contextlib.suppress(BlockingIOError), self._socket:
            while True:  # the connections still queued
                connection, peer = self._socket.accept()
                self.connections.append(peer)
                connection.close()


@pytest.fixture
def canary() -> t.Iterator[Canary]:
    listener = Canary()
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture
def canary_settings(canary: Canary, tmp_path: Path) -> dict[str, str]:
    """Settings a user might keep in .env or export: all at the canary, or changing results."""
    url = f"http://127.0.0.1:{canary.port}"
    call_ids = tmp_path / "canary_call_ids.txt"
    call_ids.write_text("canary-call-id\n", encoding="utf-8")
    return {
        "TAP_AIOKK_API_URL": f"{url}/aiokk",
        "TAP_AIOKK_CALL_TYPES": "[1]",
        "TAP_TWIN24_AUTH_URL": f"{url}/twin24/iam",
        "TAP_TWIN24_API_URL": f"{url}/twin24/analyse",
        "TAP_TWIN24_TASKS_URL": f"{url}/twin24/cis",
        "TAP_TWIN24_STATUSES": '["ANSWERED"]',
        "TAP_ALOVOICE_API_URL": f"{url}/alovoice",
        "TAP_ALOVOICE_CALL_IDS_FILE": str(call_ids),
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_PORT": str(canary.port),
    }


@pytest.fixture
def poisoned(
    canary_settings: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[dict[str, str]]:
    """`canary_settings` in a .env at the checkout's root and in this process's environment.

    A .env already there is the user's: the test is skipped rather than touch it.
    """
    dotenv = PROJECT_ROOT / ".env"
    try:
        written = dotenv.open("x", encoding="utf-8")
    except FileExistsError:
        reason = "the checkout has a .env of its own; this test writes one there, so it skips"
        print(reason)
        pytest.skip(reason)
    try:
        with written:
            written.write("# Written by tests/test_hermetic.py for one test; delete it if left.\n")
            written.writelines(f"{name}='{value}'\n" for name, value in canary_settings.items())
        for name, value in canary_settings.items():
            monkeypatch.setenv(name, value)
        # Meltano would look for the project there, which holds no meltano.yml.
        monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(tmp_path))
        yield canary_settings
    finally:
        dotenv.unlink(missing_ok=True)


def test_the_session_has_none_of_the_callers_settings() -> None:
    """conftest's pytest_configure: code in the test process cannot see them either."""
    assert [name for name in os.environ if foreign(name)] == []


def test_taps_read_the_emulator_only(
    poisoned: dict[str, str],  # noqa: ARG001 (a fixture used for its effect)
    canary: Canary,
    emulator: Emulator,
    tmp_path: Path,
) -> None:
    aiokk = aiokk_account(dialogs=40, seed=5)
    twin24 = Twin24Account(calls=200, seed=5)
    alovoice = alovoice_account(4, delay_seconds=0.1)
    configs = {
        "tap_aiokk": mount_aiokk(emulator, aiokk),
        "tap_twin24": mount_twin24(emulator, twin24),
        "tap_alovoice": mount_alovoice(emulator, alovoice),
    }
    runs: dict[str, TapRun] = {}
    for module, config in configs.items():
        config["max_retries"] = 0  # a run sent to the canary fails at once
        runs[module] = run_tap(
            module, config, tmp_path / module, args=["--config=ENV"], timeout=120
        )

    assert canary.connections == [], "connections to the canary"
    assert {module: run.exit_code for module, run in runs.items()} == dict.fromkeys(configs, 0)
    served_dialogs = finished(aiokk.truth())
    assert {raw["call"]["callType"] for raw in served_dialogs.values()} != {1}
    assert {r["dialog_id"] for r in runs["tap_aiokk"].records("dialogs")} == set(served_dialogs)
    start, end = (
        datetime.fromisoformat(configs["tap_twin24"][k]) for k in ("start_date", "end_date")
    )
    served_calls = twin24.truth(start, end)
    assert {call["status"] for call in served_calls.values()} != {"ANSWERED"}
    assert {r["id"] for r in runs["tap_twin24"].records("calls")} == set(served_calls)
    analysed = {r["call_id"] for r in runs["tap_alovoice"].records("analyses")}
    assert analysed == set(alovoice.call_ids())


def test_meltano_resolves_meltano_yml_only(
    poisoned: dict[str, str], canary: Canary, tmp_path: Path
) -> None:
    def config_print(plugin: str) -> dict[str, t.Any]:
        database = f"sqlite:///{tmp_path / f'{plugin}.db'}"
        result = meltano(
            "--environment=demo",
            "config",
            "print",
            plugin,
            "--format=json",
            env={"MELTANO_DATABASE_URI": database},
            timeout=120,
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        return t.cast("dict[str, t.Any]", json.loads(result.stdout))

    with ThreadPoolExecutor(max_workers=2) as pool:
        printed = dict(zip(MELTANO_PLUGINS, pool.map(config_print, MELTANO_PLUGINS), strict=True))

    for name, value in poisoned.items():
        plugin, setting = owner(name)
        assert printed[plugin].get(setting) != as_printed(value), name
    assert {
        plugin: {name: printed[plugin].get(name) for name in names}
        for plugin, names in URL_SETTINGS.items()
    } == {
        plugin: {name: demo_config(plugin)[name] for name in names}
        for plugin, names in URL_SETTINGS.items()
    }
    assert canary.connections == []


def owner(variable: str) -> tuple[str, str]:
    """`TAP_TWIN24_API_URL` -> ("tap-twin24", "api_url")."""
    for plugin in MELTANO_PLUGINS:
        prefix = plugin.upper().replace("-", "_") + "_"
        if variable.startswith(prefix):
            return plugin, variable.removeprefix(prefix).lower()
    raise ValueError(variable)


def as_printed(value: str) -> t.Any:
    """A variable's text as `meltano config print` shows the setting: lists and numbers parsed."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def demo_config(plugin: str) -> dict[str, t.Any]:
    """The extractor's config in meltano.yml's demo environment."""
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text(encoding="utf-8"))
    demo = next(e for e in project["environments"] if e["name"] == "demo")
    extractors = demo["config"]["plugins"]["extractors"]
    return t.cast("dict[str, t.Any]", next(e for e in extractors if e["name"] == plugin)["config"])
