"""The JSON files of fixtures/ beside this module: bodies copied from the vendors' pages."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_json(name: str) -> t.Any:
    """A JSON file copied from the vendors' pages, such as their example bodies."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
