"""Writes every pin of a loader's or utility's lock file into its definition's ``pip_url``.

A Meltano project of its own adds our loaders and dbt utilities with ``meltano add --from-ref``
and has nothing of this repository: no ``-c plugins/loaders/....txt`` to constrain them. So each
definition names every package it installs, exactly as ``make lock`` compiled it (the ``.in``
file's own pins first, then the rest by name), and this project's meltano/*.meltano.yml (which
meltano.yml includes) installs them the same way. ``make lock`` runs this;
``tests/test_loader_definitions.py`` fails when they drift.
"""

from __future__ import annotations

import re
import sys
import typing as t
from pathlib import Path

from tools.meltano_files import LOADERS_YML, UTILITIES_YML

ROOT = Path(__file__).resolve().parents[1]
#: The files meltano.yml includes that hold these plugins (tools/meltano_files.py).
MELTANO_FILES = (LOADERS_YML, UTILITIES_YML)
LOADERS, REQUIREMENTS = ROOT / "plugins" / "loaders", ROOT / "transform" / "requirements"
#: Plugin name -> (its definition, its lock's path without the .in or .txt suffix).
DEFINITIONS: dict[str, tuple[Path, Path]] = {
    "target-postgres": (LOADERS / "target-postgres.yml", LOADERS / "target-postgres"),
    "target-duckdb": (LOADERS / "target-duckdb.yml", LOADERS / "target-duckdb"),
    "dbt-duckdb": (ROOT / "transform" / "meltano" / "dbt-duckdb.yml", REQUIREMENTS / "dbt-duckdb"),
    "dbt-postgres": (
        ROOT / "transform" / "meltano" / "dbt-postgres.yml",
        REQUIREMENTS / "dbt-postgres",
    ),
}


def requirements(path: Path) -> list[str]:
    """The requirement lines of a pip requirements file, without comments or blank lines."""
    lines = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [line for line in lines if line]


def pip_url(lock: Path) -> str:
    """What the ``.in`` file asks for, then every other package of the compiled ``.txt``."""
    wanted = requirements(lock.with_suffix(".in"))
    locked = requirements(lock.with_suffix(".txt"))
    stale = [pin for pin in wanted if pin not in locked]
    if stale:
        msg = f"{lock.with_suffix('.txt').name} lacks {', '.join(stale)}: run `make lock`"
        raise SystemExit(msg)
    return " ".join(wanted + sorted(set(locked) - set(wanted), key=str.lower))


def definition_with(text: str, url: str) -> str:
    """A definition's text with its top-level ``pip_url`` set to ``url``."""
    return re.sub(r"^pip_url: .*$", lambda _: f"pip_url: {url}", text, count=1, flags=re.M)


def meltano_yml_with(text: str, name: str, url: str) -> str | None:
    """A meltano.yml file's text with the ``pip_url`` of plugin ``name`` set to ``url``; None
    when the file has no plugin ``name``."""
    entry = re.search(rf"^  - name: {re.escape(name)}\n(?:    .*\n|\s*\n|\s*#.*\n)*", text, re.M)
    if entry is None:
        return None
    block = re.sub(r"^    pip_url: .*$", lambda _: f"    pip_url: {url}", entry[0], flags=re.M)
    return text[: entry.start()] + block + text[entry.end() :]


def rendered() -> dict[Path, str]:
    """Every file this module writes, by path, with the text it should hold."""
    files: dict[Path, str] = {}
    project = {path: path.read_text(encoding="utf-8") for path in MELTANO_FILES}
    for name, (path, lock) in DEFINITIONS.items():
        url = pip_url(lock)
        files[path] = definition_with(path.read_text(encoding="utf-8"), url)
        found = {
            file: changed
            for file, text in project.items()
            if (changed := meltano_yml_with(text, name, url)) is not None
        }
        if len(found) != 1:
            msg = f"not one file of {[p.name for p in MELTANO_FILES]} has the plugin {name}"
            raise SystemExit(msg)
        project |= found
    return files | project


def main(argv: t.Sequence[str] = ()) -> int:
    del argv
    for path, text in rendered().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
