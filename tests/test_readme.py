"""The taps' READMEs hold the settings tables ``--about`` prints, so the docs cannot drift; the
front page stays a front page."""

from __future__ import annotations

import pytest

from tools.readme_table import ROOT, TAPS, documented_table, readme, settings_table

FRONT_PAGE_LINES = 250


@pytest.mark.parametrize(("tap", "module"), TAPS.items())
def test_settings_table_matches_about(tap: str, module: str) -> None:
    expected = settings_table(module)
    assert expected.count("\n") > 10
    text = readme(tap).read_text(encoding="utf-8")
    assert documented_table(text, tap) == expected, "run `make docs`"


def test_the_front_page_holds_no_settings_table() -> None:
    """Each table lives in its tap's README only: `make docs` rewrites nothing else."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for tap in TAPS:
        with pytest.raises(LookupError):
            documented_table(text, tap)


def test_the_front_page_is_at_most_250_lines() -> None:
    """README.md is the front page; the rest is in docs/ and the taps' READMEs."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= FRONT_PAGE_LINES, f"{len(lines)} lines: move a section into docs/"
