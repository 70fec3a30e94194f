"""The README's settings tables are the ones ``--about`` prints, so the docs cannot drift."""

from __future__ import annotations

import pytest

from tools.readme_table import README, TAPS, documented_table, settings_table


@pytest.mark.parametrize(("tap", "module"), TAPS.items())
def test_settings_table_matches_about(tap: str, module: str) -> None:
    expected = settings_table(module)
    assert expected.count("\n") > 10
    assert documented_table(README.read_text(encoding="utf-8"), tap) == expected, "run `make docs`"
