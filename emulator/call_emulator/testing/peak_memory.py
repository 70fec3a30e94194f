"""Runs a module as ``__main__`` and, as it exits, writes its own peak RSS to a file.

A child's ``ru_maxrss`` counts its parent's size at fork (Linux carries it across exec), so a
tap started by a test process that holds a large emulated account would look as large as it.
The peak of the process's own address space (``VmHWM``) does not include it.

    python -m call_emulator.testing.peak_memory OUT_FILE MODULE [ARGS...]
"""

from __future__ import annotations

import atexit
import resource
import runpy
import sys
from pathlib import Path


def peak_kb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # elsewhere: the best there is


def main() -> None:
    out_file, module, *arguments = sys.argv[1:]
    atexit.register(lambda: Path(out_file).write_text(str(peak_kb())))
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
