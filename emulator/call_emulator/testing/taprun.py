"""Runs a tap as its users do, as a separate process, and reads back what it emitted."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import typing as t
from dataclasses import dataclass
from functools import cached_property

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ

if t.TYPE_CHECKING:
    from pathlib import Path


@dataclass
class TapRun:
    """One finished tap process: its exit code, output, Singer messages and peak memory."""

    exit_code: int
    stdout_path: Path
    stderr_path: Path
    peak_rss_mb: float

    @cached_property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    @cached_property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @cached_property
    def messages(self) -> list[dict[str, t.Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "| ERROR" in line]


def run_tap(
    module: str,
    config: dict[str, t.Any],
    workdir: Path,
    *,
    state: dict[str, t.Any] | None = None,
    args: t.Sequence[str] = (),
    timeout: float = 600,
    env: t.Mapping[str, str] | None = None,
) -> TapRun:
    """Run ``python -m module`` with ``config`` (and ``state``) and wait for it to end.

    It runs in ``workdir`` with none of the caller's settings (call_emulator.testing.hermetic), only
    ``env``.
    """
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    peak_path = workdir / "peak_rss_kb"
    peak_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "call_emulator.testing.peak_memory", str(peak_path)]
    command += [module, "--config", str(config_path), *args]
    if state is not None:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    out_path, err_path = workdir / "stdout.jsonl", workdir / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=workdir,  # not the checkout: --config=ENV reads .env in the working directory
            env=clean_environ(env),
        )
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            process.wait()
        finally:
            watchdog.cancel()
    peak_kb = int(peak_path.read_text()) if peak_path.exists() else 0  # none if killed
    return TapRun(
        exit_code=process.returncode,
        stdout_path=out_path,
        stderr_path=err_path,
        peak_rss_mb=peak_kb / 1024,
    )


def tap_json(module: str, *args: str) -> t.Any:
    """The JSON that ``python -m module ARGS`` prints (``--about --format=json``, ``--discover``),
    run in a neutral folder with none of the caller's settings; a failing run raises."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL_CWD,
        env=clean_environ(),
    )
    return json.loads(completed.stdout)
