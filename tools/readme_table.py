"""Keeps the settings tables of the taps' READMEs equal to what the taps' ``--about`` prints.

Each tap's README (``tap_aiokk/README.md``, ...) holds its table between two comments;
``make docs`` rewrites them; ``tests/test_readme.py`` fails when they have drifted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ

ROOT = Path(__file__).parent.parent
TAPS = {"tap-aiokk": "tap_aiokk", "tap-twin24": "tap_twin24", "tap-alovoice": "tap_alovoice"}
# The SDK's own settings are the same for every tap; each README points to --about for them.
SDK_SETTINGS = ("stream_map", "faker_config", "flattening_", "batch_config")


def readme(tap: str) -> Path:
    """The tap's README, in its folder: the one that holds its settings table."""
    return ROOT / TAPS[tap] / "README.md"


def settings_table(module: str) -> str:
    about = subprocess.run(
        [sys.executable, "-m", module, "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL_CWD,
        env=clean_environ(),
    ).stdout
    rows = [
        line
        for line in about.splitlines()
        if line.startswith("|") and not line.startswith(SDK_SETTINGS, 2)
    ]
    return "\n".join(rows)


def _block(tap: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- {tap} settings[^\n]*-->\n)(.*?)(\n<!-- end of {tap} settings -->)", re.DOTALL
    )


def documented_table(text: str, tap: str) -> str:
    match = _block(tap).search(text)
    if match is None:
        msg = f"{readme(tap).relative_to(ROOT)} has no settings block for {tap}"
        raise LookupError(msg)
    return match.group(2)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\")


def main() -> None:
    for tap, module in TAPS.items():
        path = readme(tap)
        text = path.read_text(encoding="utf-8")
        documented_table(text, tap)
        text = _block(tap).sub(rf"\g<1>{_escaped(settings_table(module))}\g<3>", text)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
