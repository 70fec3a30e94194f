"""The loaders' and dbt utilities' definitions a project of its own adds (README, "In a project
of your own"), read as `meltano add --from-ref` reads them.

Each must install with nothing of this repository (every pin in its `pip_url`, as tools/pins.py
writes them from the lock), carry what makes it safe in what Meltano keeps of it (`settings`
with their values and `env`; Meltano drops a definition's `config`, and an extractor's
`schema`), hold no secret, and equal this project's meltano.yml entry.
"""

from __future__ import annotations

import re
import typing as t

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from tools import meltano_files
from tools.pins import DEFINITIONS, rendered, requirements

KINDS = {"target-postgres": "loaders", "target-duckdb": "loaders"}
KINDS |= {"dbt-duckdb": "utilities", "dbt-postgres": "utilities"}
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][A-Za-z0-9.+!-]*")


def definition(name: str) -> dict[str, t.Any]:
    path, _ = DEFINITIONS[name]
    return t.cast("dict[str, t.Any]", yaml.safe_load(path.read_text(encoding="utf-8")))


def settings(name: str) -> dict[str, dict[str, t.Any]]:
    return {setting["name"]: setting for setting in definition(name)["settings"]}


def test_definitions_and_meltano_yml_hold_the_locks_pins() -> None:
    drifted = [
        str(path) for path, text in rendered().items() if path.read_text(encoding="utf-8") != text
    ]
    assert not drifted, f"run `make lock` (python -m tools.pins): {drifted}"


@pytest.mark.parametrize("name", DEFINITIONS)
def test_the_pip_url_pins_every_package_and_needs_no_file(name: str) -> None:
    """No `-c` constraints file, no path: a project of its own has neither."""
    pip_url = definition(name)["pip_url"]
    assert all(PIN.fullmatch(word) for word in pip_url.split()), pip_url
    _, lock = DEFINITIONS[name]
    assert sorted(pip_url.split()) == sorted(requirements(lock.with_suffix(".txt")))


@pytest.mark.parametrize("name", DEFINITIONS)
def test_meltano_yml_holds_the_same_entry(name: str) -> None:
    project = meltano_files.project()
    (entry,) = [p for p in project["plugins"][KINDS[name]] if p["name"] == name]
    assert entry == definition(name)


@pytest.mark.parametrize("name", DEFINITIONS)
def test_nothing_rests_on_what_add_from_ref_drops(name: str) -> None:
    """`config` (and an extractor's `schema`) never reach the project: every value a loader
    needs is a setting's default."""
    assert not {"config", "schema", "select", "metadata"} & set(definition(name))


@pytest.mark.parametrize("name", DEFINITIONS)
def test_no_secret_has_a_value_but_a_reference(name: str) -> None:
    """A sensitive setting's default may only name another variable (dbt-postgres's password
    is target-postgres's), never hold a value."""
    for setting in settings(name).values():
        if setting.get("sensitive"):
            assert re.fullmatch(r"\$\{?[A-Z_]+\}?", str(setting.get("value", "$NONE"))), setting


def test_target_postgres_runs_its_sessions_in_utc_and_upserts() -> None:
    loader = definition("target-postgres")
    assert loader["env"] == {"PGTZ": "UTC"}
    values = {name: s.get("value") for name, s in settings("target-postgres").items()}
    assert values["load_method"] == "upsert"
    assert values["default_target_schema"] == "$MELTANO_EXTRACTOR_NAMESPACE"
    assert values["batch_size_rows"] == 10000 and values["validate_records"] is False


def version_of(name: str, package: str) -> tuple[int, ...]:
    (pin,) = [p for p in definition(name)["pip_url"].split() if p.startswith(f"{package}==")]
    return tuple(int(part) for part in pin.split("==")[1].split("."))


def test_target_duckdb_keeps_a_duckdb_that_loses_no_row_and_dbt_reads() -> None:
    """target-duckdb 0.8.0 drops a batch's first row with duckdb 1.3 and later (README,
    Loaders); dbt-duckdb must open the file with the same storage format."""
    assert version_of("target-duckdb", "target-duckdb") == (0, 8, 0)
    assert version_of("target-duckdb", "duckdb") < (1, 3)
    assert version_of("dbt-duckdb", "duckdb") == version_of("target-duckdb", "duckdb")
    loader = settings("target-duckdb")
    utility = settings("dbt-duckdb")
    assert loader["filepath"]["value"] == utility["path"]["value"]
    assert loader["batch_size_rows"]["value"] == 10000


def test_dbt_postgres_reads_target_postgres_connection_by_default() -> None:
    """One connection in .env serves the loader and the model."""
    values = {name: s.get("value") for name, s in settings("dbt-postgres").items()}
    assert values["host"] == "$TARGET_POSTGRES_HOST"
    assert values["user"] == "$TARGET_POSTGRES_USER"
    assert values["password"] == "$TARGET_POSTGRES_PASSWORD"
    assert values["dbname"] == "$TARGET_POSTGRES_DATABASE"
    assert values["port"] == "$TARGET_POSTGRES_PORT"  # unset, the profile's 5432
