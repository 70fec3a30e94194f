"""The emulator also runs as a command, for demos and manual runs of the taps."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import typing as t

import requests

from call_emulator.__main__ import _parser
from call_emulator.testing.aiokk_support import AIOKK_TOKEN
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.twin24_support import TWIN24_PASSWORD

if t.TYPE_CHECKING:
    from pathlib import Path

from call_emulator.testing.taprun import run_tap


def test_command_serves_a_tap_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "call_emulator", "--port", "0", "--dialogs", "50"]
    command += ["--calls", "120", "--password", TWIN24_PASSWORD]
    ids_file = tmp_path / "alovoice_calls.txt"
    command += ["--alovoice-calls", "5", "--alovoice-delay", "0.2"]
    command += ["--alovoice-call-ids-file", str(ids_file)]
    server = subprocess.Popen(
        [*command, "--token", AIOKK_TOKEN],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=clean_environ(),
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/aiokk")
        export = requests.post(
            f"{url}/api/v1/export/dialogs/call_type",
            json={"token": AIOKK_TOKEN, "call_type": 2},
            timeout=10,
        ).json()
        run = run_tap("tap_aiokk", {"api_url": url, "token": AIOKK_TOKEN}, tmp_path)
        assert run.exit_code == 0, run.stderr[-2000:]
        emitted = {r["dialog_id"] for r in run.records("dialogs") if r["call_type"] == 2}
        assert emitted == {d["call"]["dialogId"] for d in export if d["analytics"]["finishDate"]}
        assert emitted
        twin24 = dict(server.stdout.readline().strip().rsplit(" ", 1) for _ in range(4))
        config = {
            "auth_url": twin24["twin24 iam emulator:"],
            "api_url": twin24["twin24 analyse emulator:"],
            "tasks_url": twin24["twin24 cis emulator:"],
            "start_date": twin24["twin24 calls from"],
            "email": "demo@twin24.example",
            "password": TWIN24_PASSWORD,
        }
        calls = run_tap("tap_twin24", config, tmp_path / "twin24")
        assert calls.exit_code == 0, calls.stderr[-2000:]
        assert len({call["id"] for call in calls.records("calls")}) == 120
        alovoice_url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
        alovoice: dict[str, t.Any] = {
            "api_url": alovoice_url,
            "token": AIOKK_TOKEN,
            "call_ids_file": str(ids_file),
            "poll_interval_ms": 200,
        }
        analyses = run_tap("tap_alovoice", alovoice, tmp_path / "alovoice")
        assert analyses.exit_code == 0, analyses.stderr[-2000:]
        done = [row for row in analyses.records("analyses") if row["status"] == "done"]
        assert sorted(row["call_id"] for row in done) == sorted(ids_file.read_text().split())
    finally:
        server.send_signal(signal.SIGTERM)
        stopped = server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    assert stopped == 0


def test_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A port that something listens on: one line saying so and what to do, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "call_emulator", "--port", str(port), "--dialogs", "5"]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=tmp_path,
            env=clean_environ(),
        )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), result.stderr
    assert f"port {port} " in lines[0] and "--port" in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_help_shows_the_default_of_every_option(tmp_path: Path) -> None:
    """A demo needs the accounts' logins and token: `--help` names each default."""
    result = subprocess.run(
        [sys.executable, "-m", "call_emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=tmp_path,
        env=clean_environ({"COLUMNS": "60"}),  # a narrow terminal wraps the longest default
    )
    options = " ".join(result.stdout.split("options:", 1)[1].split())
    actions = [action for action in _parser()._actions if action.option_strings]
    starts: list[int] = []
    for action in actions:  # listed in the order they were added
        starts.append(options.index(f"{action.option_strings[-1]} ", starts[-1] if starts else 0))
    for action, start, end in zip(actions, starts, [*starts[1:], None], strict=True):
        if action.default is None or action.default == argparse.SUPPRESS:
            continue
        said = options[start:end]
        assert f"(default: {action.default})" in said, (action.option_strings, said)
    assert len([a for a in actions if a.default not in (None, argparse.SUPPRESS)]) >= 14
