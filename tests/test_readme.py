"""The README's settings table is the one ``--about`` prints, so the docs cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
SDK_SETTINGS = ("stream_map", "faker_config", "flattening_", "batch_config")


def test_aiokk_settings_table_matches_about() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_aiokk", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = [
        line
        for line in about.splitlines()
        if line.startswith("|") and not line.startswith(SDK_SETTINGS, 2)
    ]
    assert len(expected) > 10
    readme = README.read_text(encoding="utf-8")
    start = readme.index("<!-- tap-aiokk settings")
    end = readme.index("<!-- end of tap-aiokk settings -->")
    documented = [line for line in readme[start:end].splitlines() if line.startswith("|")]
    assert documented == expected
