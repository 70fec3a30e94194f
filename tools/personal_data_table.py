"""Keeps each tap's table of personal-data fields equal to the marks in its catalog.

A field holds personal data when its schema description starts with ``Personal data (kind)``
(``kit.personal_data.mark``); the table lists those fields and what ``personal_data=hash``
and ``drop`` do to them. ``make docs`` rewrites every ``<!-- tap-x personal data -->`` block of
the Markdown files below; ``tests/test_personal_data_docs.py`` fails when one has drifted.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ

ROOT = Path(__file__).parent.parent
TAPS = {"tap-aiokk": "tap_aiokk", "tap-twin24": "tap_twin24", "tap-alovoice": "tap_alovoice"}
_MARK = re.compile(r"^Personal data \((?P<kind>[a-z ]+)\): (?P<effect>[^.]*)\.\s*(?P<rest>.*)$")


def documents() -> list[Path]:
    """The Markdown files that may hold a block."""
    return sorted(
        path
        for path in [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md"), *ROOT.glob("tap_*/README.md")]
        if path.is_file()
    )


def personal_data_table(module: str) -> str:
    """The table of ``module``'s marked fields, from its ``--discover``."""
    catalog = json.loads(
        subprocess.run(
            [sys.executable, "-m", module, "--discover"],
            capture_output=True,
            text=True,
            check=True,
            cwd=NEUTRAL_CWD,
            env=clean_environ(),
        ).stdout
    )
    rows = ["| Stream | Field | Holds | hash | drop |", "|---|---|---|---|---|"]
    for entry in catalog["streams"]:
        for field, spec in entry["schema"]["properties"].items():
            found = _MARK.match(spec.get("description") or "")
            if found is None:
                continue
            hashed = found["effect"].split(";")[0].removeprefix("hash: ")
            what = f"{found['kind']}: {found['rest']}".rstrip(": ")
            rows.append(f"| {entry['tap_stream_id']} | `{field}` | {what} | {hashed} | null |")
    return "\n".join(rows)


def block(tap: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- {tap} personal data[^\n]*-->\n)(.*?)(\n<!-- end of {tap} personal data -->)",
        re.DOTALL,
    )


def _replacement(table: str) -> t.Callable[[re.Match[str]], str]:
    return lambda found: found[1] + table + found[3]


def main() -> None:
    tables = {tap: personal_data_table(module) for tap, module in TAPS.items()}
    for path in documents():
        text = path.read_text(encoding="utf-8")
        new = text
        for tap, table in tables.items():
            new = block(tap).sub(_replacement(table), new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
