"""The tests tree by tap: each tap's folder holds the same common set of modules, so a reader
finds a tap's command line, errors, seed, SDK suite and sync tests in the same place for each,
and a tap's tests do not creep back to the top level."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
TAPS = ("aiokk", "twin24", "alovoice")
COMMON = (
    "__init__.py",
    "test_cli.py",
    "test_errors.py",
    "test_seed.py",
    "test_sdk_suite.py",
    "test_sync.py",
)
"""What every tap's folder holds; tap-specific modules come on top."""


def missing_modules(folder: Path) -> list[str]:
    """The common modules ``folder`` lacks."""
    return [name for name in COMMON if not (folder / name).is_file()]


@pytest.mark.parametrize("tap", TAPS)
def test_each_tap_folder_holds_the_common_set(tap: str) -> None:
    assert missing_modules(TESTS / tap) == []


def test_a_folder_lacking_a_common_module_is_caught(tmp_path: Path) -> None:
    for name in COMMON:
        (tmp_path / name).touch()
    (tmp_path / "test_errors.py").unlink()
    assert missing_modules(tmp_path) == ["test_errors.py"]


@pytest.mark.parametrize("tap", TAPS)
def test_no_tap_test_module_at_the_top_level(tap: str) -> None:
    assert sorted(path.name for path in TESTS.glob(f"test_{tap}_*.py")) == []
