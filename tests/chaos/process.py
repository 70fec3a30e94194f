"""One tap process as a scheduler sees it: stdout read as it comes, maybe a kill -9, a watchdog.

call_emulator.testing.taprun waits for a process to end; the resilience suite must also kill
one at a chosen point and keep exactly what a Meltano pipeline would keep of it: every complete
line the tap wrote before it died (the pipe is drained after the kill), never a half-written
last line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import typing as t
from dataclasses import dataclass, field

from call_emulator.testing.hermetic import clean_environ

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.chaos.triggers import RequestCount

Message = dict[str, t.Any]


@dataclass(frozen=True)
class KillAt:
    """SIGKILL the tap once it has written ``records`` RECORD lines, or as the emulator receives
    its ``requests``-th request (with run_tap's ``requests``), whichever comes first; neither:
    let it run to its end."""

    records: int | None = None
    requests: int | None = None

    def __str__(self) -> str:
        if self.records is not None:
            return f"after {self.records} records"
        return f"at request {self.requests}" if self.requests is not None else "never"


@dataclass
class Run:
    """What a tap process left behind; ``messages`` are the complete lines it wrote."""

    exit_code: int
    messages: list[Message]
    stdout_path: Path
    stderr_path: Path
    state_path: Path | None
    seconds: float
    killed: bool = False
    hung: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def records(self, stream: str | None = None) -> list[Message]:
        return [
            m
            for m in self.messages
            if m.get("type") == "RECORD" and (stream is None or m.get("stream") == stream)
        ]

    @property
    def last_state(self) -> dict[str, t.Any] | None:
        """The state a pipeline would save from this run: its last complete STATE line."""
        states = [m["value"] for m in self.messages if m.get("type") == "STATE"]
        return states[-1] if states else None

    @property
    def records_after_last_state(self) -> int:
        """Records written after the last STATE: a kill here lands inside a page or batch."""
        last = max((i for i, m in enumerate(self.messages) if m.get("type") == "STATE"), default=-1)
        return sum(1 for m in self.messages[last + 1 :] if m.get("type") == "RECORD")

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "| ERROR" in line]

    @property
    def leak_sources(self) -> list[Path]:
        """Everything this run wrote or was handed that must not hold a secret."""
        paths = [self.stdout_path, self.stderr_path]
        return paths + ([self.state_path] if self.state_path else [])


def run_tap(
    module: str,
    config: t.Mapping[str, t.Any],
    workdir: Path,
    *,
    state: t.Mapping[str, t.Any] | None = None,
    kill: KillAt | None = None,
    timeout: float = 300,
    on_kill: t.Callable[[], None] | None = None,
    requests: RequestCount | None = None,
) -> Run:
    """Run ``python -m module --config ... [--state ...]``; kill it as ``kill`` says.

    ``on_kill`` runs right after the SIGKILL, before the pipe is drained, so a caller can look
    at the emulator at the moment of the kill. ``timeout`` is a watchdog: past it the process
    is killed and the run marked as hung. ``requests`` counts what the emulator receives during
    this run, for a kill at a request. It runs in ``workdir`` with none of the caller's
    settings (call_emulator.testing.hermetic).
    """
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", module, "--config", str(config_path)]
    state_path = None
    if state is not None:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        command += ["--state", str(state_path)]
    stdout_path, stderr_path = workdir / "stdout.jsonl", workdir / "stderr.log"
    started = time.monotonic()
    with (
        stderr_path.open("wb") as err,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=workdir,  # not the checkout: --config=ENV reads .env in the working directory
            env=clean_environ(),
        ) as process,  # closes the pipe on the way out
    ):
        killer = _Killer(process, on_kill)
        watchdog = threading.Timer(timeout, killer.hang)
        watchdog.daemon = True
        watchdog.start()
        if requests is not None:
            requests.arm(kill.requests if kill is not None else None, killer.kill)
        try:
            messages, problems = _read(process, stdout_path, kill, killer)
            process.wait()
        finally:
            watchdog.cancel()
            if requests is not None:
                requests.disarm()
    return Run(
        exit_code=process.returncode,
        messages=messages,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        state_path=state_path,
        seconds=time.monotonic() - started,
        killed=killer.killed,
        hung=killer.hung,
        problems=problems,
    )


class _Killer:
    """Sends the one SIGKILL of a run, from the reader or from a timer, whichever is first."""

    def __init__(self, process: subprocess.Popen[bytes], on_kill: t.Callable[[], None] | None):
        self.process, self.on_kill = process, on_kill
        self.killed = self.hung = False
        self._lock = threading.Lock()

    def kill(self) -> None:
        with self._lock:
            if self.killed or self.hung or self.process.poll() is not None:
                return
            self.process.kill()
            self.killed = True
        if self.on_kill is not None:
            self.on_kill()

    def hang(self) -> None:
        with self._lock:
            if self.process.poll() is None:
                self.process.kill()
                self.hung = True


def _read(
    process: subprocess.Popen[bytes], path: Path, kill: KillAt | None, killer: _Killer
) -> tuple[list[Message], list[str]]:
    """Every complete line until EOF (after a kill too); a line cut by the kill is dropped."""
    assert process.stdout is not None
    messages: list[Message] = []
    problems: list[str] = []
    records = 0
    with path.open("wb") as out:
        for line in process.stdout:
            if not line.endswith(b"\n"):
                break  # cut off by the kill: a target never sees it
            out.write(line)
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                problems.append(f"stdout has a line that is not JSON: {line[:120]!r}")
                continue
            messages.append(message)
            if message.get("type") == "RECORD":
                records += 1
                if kill is not None and kill.records is not None and records >= kill.records:
                    killer.kill()
    return messages, problems
