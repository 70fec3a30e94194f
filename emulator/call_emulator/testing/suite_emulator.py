"""One emulator per test process for the SDK's standard tap tests, started when first needed.

`get_tap_test_class` builds its test class from a config while the module is collected, so the
suites used to start a server at import time: once per module, in every xdist worker, even in
the workers that run none of their tests. A suite's config now names UNSERVED_URL at import, and
a module fixture points it at `suite_emulator()` before the suite's runner syncs (the runner
keeps the dict it was given and reads it then). The server starts on the first call in a
process, serves each suite under its own prefix, and stops when the process exits.
"""

from __future__ import annotations

import atexit
import threading

from call_emulator import Emulator

UNSERVED_URL = "http://127.0.0.1:9"
"""Where a suite's config points until its fixture serves it: port 9 refuses, so a suite that
synced before its fixture ran would fail at once, not read something else."""

_lock = threading.Lock()
_emulator: list[Emulator] = []


def suite_emulator() -> Emulator:
    """The process's emulator for the SDK suites, started on the first call."""
    with _lock:
        if not _emulator:
            emulator = Emulator().start()
            atexit.register(emulator.stop)
            _emulator.append(emulator)
        return _emulator[0]
