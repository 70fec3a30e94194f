"""Which package may import which, read from the source (ast), TYPE_CHECKING imports included.

- a tap imports the SDK and the library (singer_tap_kit), never another tap;
- the library and the emulator (call_emulator, with its test harness) import no tap, nor do
  their own tests (the library's tests through the taps are the root's test_kit*.py);
- nothing imports ``tests``: the root's tests import one another at most, and no package, test
  of a package, benchmark or tool imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAPS = ("tap_aiokk", "tap_twin24", "tap_alovoice")
LIBRARY = "singer_tap_kit"
EMULATOR = "call_emulator"
SKIPPED = {".venv", ".venv-sdk-next", ".tools", ".git", ".meltano", "node_modules", "dbt_packages"}


def imported(path: Path) -> set[str]:
    """The top-level names of the modules ``path`` imports (absolute imports only: a relative
    import stays in its own package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(folder: Path) -> list[Path]:
    return [
        path
        for path in sorted(folder.rglob("*.py"))
        if not SKIPPED & set(path.relative_to(ROOT).parts)
    ]


def violations(files: list[Path], forbidden: set[str]) -> dict[str, set[str]]:
    """File -> the forbidden modules it imports."""
    found = {str(path.relative_to(ROOT)): imported(path) & forbidden for path in files}
    return {path: names for path, names in found.items() if names}


@pytest.mark.parametrize("tap", TAPS)
def test_a_tap_imports_the_sdk_and_the_library_never_another_tap(tap: str) -> None:
    package = python_files(ROOT / tap / tap)
    assert package, f"no module in {tap}/{tap}"
    names = set().union(*(imported(path) for path in package))
    assert {"singer_sdk", LIBRARY} <= names
    assert violations(package, set(TAPS) - {tap} | {EMULATOR, "tests", "harness"}) == {}
    assert violations(python_files(ROOT / tap / "tests"), set(TAPS) - {tap} | {"tests"}) == {}


@pytest.mark.parametrize("folder", [LIBRARY, "emulator"])
def test_the_library_and_the_emulator_import_no_tap(folder: str) -> None:
    files = python_files(ROOT / folder)
    assert files
    assert violations(files, {*TAPS, "tests", "harness"}) == {}


def test_nothing_outside_the_root_tests_imports_tests() -> None:
    files = [path for path in python_files(ROOT) if path.relative_to(ROOT).parts[0] != "tests"]
    assert len(files) > 100
    assert violations(files, {"tests"}) == {}


def test_the_check_finds_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import typing as t\nfrom . import sibling\nif t.TYPE_CHECKING:\n"
        "    from tap_twin24.tap import TapTwin24\nimport tests.chaos\n",
        encoding="utf-8",
    )
    assert imported(module) == {"typing", "tap_twin24", "tests"}
