"""The workspace's layout: each tap in a folder of its own, laid out as a tap repository of its
own (its pyproject.toml, README, CHANGELOG, LICENSE, Hub definition, package and tests); the
library and the emulator likewise; the root builds nothing and holds what spans the packages.

Each tap's tests/ holds the same common set of modules, so a reader finds a tap's command line,
errors, seed, SDK suite and sync tests in the same place for each, and a tap's tests do not
creep back to the root."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
TAPS = ("aiokk", "twin24", "alovoice")
LIBRARY = "singer_tap_kit"
EMULATOR = "emulator"
MEMBERS = (LIBRARY, *(f"tap_{tap}" for tap in TAPS), EMULATOR)
COMMON = (
    "test_cli.py",
    "test_errors.py",
    "test_seed.py",
    "test_sdk_suite.py",
    "test_sync.py",
)
"""What every tap's tests/ holds; tap-specific modules come on top."""
TAP_FILES = (
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "meltano-hub.yml",
)
"""What every tap's folder holds beside its package and its tests."""


def missing_modules(folder: Path) -> list[str]:
    """The common modules ``folder`` lacks."""
    return [name for name in COMMON if not (folder / name).is_file()]


@pytest.mark.parametrize("tap", TAPS)
def test_each_tap_folder_is_laid_out_as_a_tap_repository(tap: str) -> None:
    folder = ROOT / f"tap_{tap}"
    assert [name for name in TAP_FILES if not (folder / name).is_file()] == []
    assert (folder / f"tap_{tap}" / "__init__.py").is_file()
    assert not (folder / f"tap_{tap}" / "kit").exists(), "the library is a dependency, no copy"
    assert missing_modules(folder / "tests") == []
    # No __init__.py: the test modules of two taps may share a name (pytest's importlib mode).
    assert not (folder / "tests" / "__init__.py").exists()


def test_a_folder_lacking_a_common_module_is_caught(tmp_path: Path) -> None:
    for name in COMMON:
        (tmp_path / name).touch()
    (tmp_path / "test_errors.py").unlink()
    assert missing_modules(tmp_path) == ["test_errors.py"]


@pytest.mark.parametrize("tap", TAPS)
def test_no_tap_test_module_at_the_root(tap: str) -> None:
    assert sorted(path.name for path in TESTS.glob(f"test_{tap}_*.py")) == []
    assert not (TESTS / tap).exists()


def test_the_root_is_a_workspace_of_the_members_and_builds_nothing() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "project" not in root and "build-system" not in root
    assert tuple(root["tool"]["uv"]["workspace"]["members"]) == MEMBERS
    with_pyproject = {path.parent.name for path in ROOT.glob("*/pyproject.toml")}
    assert with_pyproject == set(MEMBERS)


@pytest.mark.parametrize("member", MEMBERS)
def test_each_member_holds_its_package_and_its_tests(member: str) -> None:
    project = tomllib.loads((ROOT / member / "pyproject.toml").read_text(encoding="utf-8"))
    (package,) = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert (ROOT / member / package / "__init__.py").is_file()
    assert sorted((ROOT / member / "tests").glob("test_*.py")), f"{member} has no tests"


def test_no_copy_of_the_library_remains() -> None:
    assert not (ROOT / "kit").exists()
    assert sorted(ROOT.glob("*/*/kit")) == []
