"""Peak RSS and CPU time of the tap and the loader that `meltano` starts, read from /proc.

Meltano starts each plugin itself, so the benchmark cannot wrap them the way
``call_emulator.testing.peak_memory`` wraps a tap. Instead a thread reads, every ``interval``
seconds, the ``VmHWM`` (the process's own peak, which only grows) of every descendant of the
`meltano` process, and keeps the highest value seen per plugin, with the CPU seconds it had used (so
the last tenth of a second of each process is not counted). A peak reached less than ``interval``
before a process exits can be missed; Linux only (elsewhere nothing is reported).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree, found, todo = _children(), [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _peak_kb(pid: int) -> tuple[str, int, float] | None:
    """The process's command line, peak RSS in kB and CPU seconds (user and system) so far."""
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return command, int(line.split()[1]), cpu
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        return None
    return None


class PeakWatch:
    """Highest VmHWM per plugin name among the descendants of ``root``, while in a with-block."""

    def __init__(self, root: int, names: tuple[str, ...], interval: float = 0.1) -> None:
        self.root, self.names, self.interval = root, names, interval
        self.peaks_kb: dict[str, int] = dict.fromkeys(names, 0)
        self.cpu_seconds: dict[str, float] = dict.fromkeys(names, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        if not PROC.is_dir():
            return
        for pid in _descendants(self.root):
            found = _peak_kb(pid)
            if found is None:
                continue
            command, kb, cpu = found
            for name in self.names:
                # The plugin's executable (…/bin/tap-twin24), not a `meltano … tap-twin24` line.
                if f"/{name} " in f"{command} ":
                    self.peaks_kb[name] = max(self.peaks_kb[name], kb)
                    self.cpu_seconds[name] = max(self.cpu_seconds[name], cpu)

    def peak_mb(self, name: str) -> float:
        return self.peaks_kb.get(name, 0) / 1024

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
