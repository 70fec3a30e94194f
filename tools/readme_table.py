"""Keeps the README's settings tables equal to what the taps' ``--about`` prints.

``make docs`` rewrites them; ``tests/test_readme.py`` fails when they have drifted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ

README = Path(__file__).parent.parent / "README.md"
TAPS = {"tap-aiokk": "tap_aiokk", "tap-twin24": "tap_twin24", "tap-alovoice": "tap_alovoice"}
# The SDK's own settings are the same for every tap; the README points to --about for them.
SDK_SETTINGS = ("stream_map", "faker_config", "flattening_", "batch_config")


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


def documented_table(readme: str, tap: str) -> str:
    match = _block(tap).search(readme)
    if match is None:
        msg = f"README has no settings block for {tap}"
        raise LookupError(msg)
    return match.group(2)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\")


def main() -> None:
    readme = README.read_text(encoding="utf-8")
    for tap, module in TAPS.items():
        documented_table(readme, tap)
        table = settings_table(module)
        readme = _block(tap).sub(rf"\g<1>{_escaped(table)}\g<3>", readme)
    README.write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    main()
