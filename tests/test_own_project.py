"""README, "In a project of your own": every block as written, in a brand-new Meltano project.

The project is made by the block's own `meltano init` (its default environment is dev) and
holds nothing of this repository but what the block puts there: the wheel pip builds, the
definitions `meltano add --from-ref` reads, and transform/. No `uv` is on the PATH the blocks
run with; Meltano itself is this checkout's (Meltano installs the plugins with its uv backend,
for speed). Every setting is in the project's `.env`: the README's names with the test's
values (the emulator, a Postgres database of the test's own), plus the emulator's hosts for the
settings whose defaults are the vendors' real hosts. That database's own time zone is Moscow's,
as a server set to local time would make it.

Then every table in Postgres and in DuckDB is compared with what the emulator served (every row
there, no key twice, every instant the one the vendor sent), Postgres has no array-typed
column, the model's marts hold every call, and the scheduled job's run after the emulator
changed updates the tables to the new truth.
"""

from __future__ import annotations

import os
import re
import shutil
import typing as t
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator import Emulator
from call_emulator.testing.hermetic import clean_environ
from harness.call_model_truth import mart_truth
from harness.meltano_project import MELTANO, PROJECT_ROOT, Accounts
from harness.warehouse import Warehouse
from tests.test_meltano_e2e import POSTGRES, Load, assert_matches, expected, postgres_connection
from tests.test_readme_commands import Block, readme_blocks, run_bash

if t.TYPE_CHECKING:
    import subprocess

SECTION = "In a project of your own"
CHECKOUT = "/path/to/this/checkout"
ZONE = "Europe/Moscow"
TAPS = ("tap-aiokk", "tap-twin24", "tap-alovoice")
SECRETS = {
    "token": "canary-own-token-8d1e42",
    "email": "own@twin24.example",
    "password": "canary-own-password-3fa9",
    "postgres": "canary-own-postgres-password-c07b",
}


def section_blocks() -> list[Block]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return [b for b in readme_blocks(readme) if b.section == SECTION and b.lang == "bash"]


@dataclass(frozen=True)
class Section:
    setup: Block
    dotenv: Block
    run: Block

    @classmethod
    def read(cls) -> Section:
        blocks = section_blocks()
        (setup,) = [b for b in blocks if b.text.startswith("meltano init ")]
        (dotenv,) = [b for b in blocks if b.text.startswith("# .env")]
        (run,) = [b for b in blocks if b not in (setup, dotenv)]
        return cls(setup, dotenv, run)

    def project_name(self) -> str:
        (name,) = re.findall(r"^meltano init (\S+) && cd \1\s*(?:#.*)?$", self.setup.text, re.M)
        return str(name)

    def names(self) -> dict[str, str]:
        """The `.env` block's variables and the values it gives them."""
        return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(\S*)", self.dotenv.text, re.M))


def test_the_section_has_three_blocks_and_uses_no_uv() -> None:
    """Set up, `.env`, run: each run below as written; no step needs uv on the PATH."""
    section = Section.read()
    assert len(section_blocks()) == 3
    assert not re.search(r"(^|\s)uv\s", " ".join(section.setup.commands()))
    for ref in re.findall(r"--from-ref (\S+)", section.setup.text):
        path = Path(ref.replace(CHECKOUT, str(PROJECT_ROOT)))
        if not path.is_absolute():  # transform/..., copied into the project from here
            path = PROJECT_ROOT / path
        assert path.is_file(), ref


def hub_definition(tap: str) -> dict[str, t.Any]:
    path = PROJECT_ROOT / tap.replace("-", "_") / "meltano-hub.yml"
    return t.cast("dict[str, t.Any]", yaml.safe_load(path.read_text(encoding="utf-8")))


def covered(tap: str, names: t.Iterable[str]) -> bool:
    """Whether the variables `names` give one of the tap's groups of required settings."""
    prefix = tap.upper().replace("-", "_") + "_"
    given = {name.removeprefix(prefix).lower() for name in names if name.startswith(prefix)}
    groups = hub_definition(tap)["settings_group_validation"]
    return any(set(group) <= given for group in groups)


def test_the_env_file_gives_every_required_setting() -> None:
    """Settings only in `.env`: each tap's required settings are all there."""
    names = Section.read().names()
    assert all(covered(tap, names) for tap in TAPS), sorted(names)


def pathless_bin(folder: Path) -> str:
    """A PATH with this checkout's meltano and none of its tools: no uv, no .venv."""
    folder.mkdir()
    (folder / "meltano").symlink_to(MELTANO)
    keep = [
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if entry
        and not (Path(entry) / "uv").exists()
        and not Path(entry).resolve().is_relative_to(PROJECT_ROOT)
    ]
    path = os.pathsep.join([str(folder), *keep])
    assert shutil.which("uv", path=path) is None, path
    return path


@dataclass
class Own:
    project: Path
    env: dict[str, str]
    accounts: Accounts
    database: str
    outputs: list[str]
    added: dict[str, dict[str, t.Any]]
    """meltano.yml's plugins as `meltano add --from-ref` left them, by name."""


def sh(own: Own, command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    result = run_bash(command, own.project, own.env, timeout=timeout)
    own.outputs.append(result.stdout + result.stderr)
    assert result.returncode == 0, f"{command}\n{(result.stdout + result.stderr)[-5000:]}"
    return result


@pytest.fixture(scope="module")
def postgres_admin() -> t.Iterator[t.Any]:
    connection = postgres_connection()  # skips, with the reason, when there is no Postgres
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def own(postgres_admin: t.Any, tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Own]:
    section = Section.read()
    database = f"own_{uuid.uuid4().hex[:10]}"
    postgres_admin.execute(f'CREATE DATABASE "{database}"')
    postgres_admin.execute(f"ALTER DATABASE \"{database}\" SET timezone = '{ZONE}'")
    try:
        yield set_up(section, database, tmp_path_factory.mktemp("own"))
    finally:
        postgres_admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def set_up(section: Section, database: str, folder: Path) -> Own:
    env = clean_environ({"PATH": pathless_bin(folder / "bin"), "MELTANO_VENV_BACKEND": "uv"})
    env.pop("VIRTUAL_ENV", None)
    script = section.setup.text.replace(CHECKOUT, str(PROJECT_ROOT))
    made = run_bash(script, folder, env, timeout=1200)
    assert made.returncode == 0, (made.stdout + made.stderr)[-5000:]
    project = folder / section.project_name()
    config = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    assert config["default_environment"] == "dev"
    added = {p["name"]: p for plugins in config["plugins"].values() for p in plugins}
    given = section.names()
    ids_file = project / given["TAP_ALOVOICE_CALL_IDS_FILE"]  # relative: the project's
    assert not Path(given["TAP_ALOVOICE_CALL_IDS_FILE"]).is_absolute()
    accounts = Accounts.build(
        dialogs=120, calls=240, recordings=6, call_ids_file=ids_file, secrets=SECRETS,
        analysis_seconds=0.2,
    )  # fmt: skip
    return Own(project, env, accounts, database, [made.stdout + made.stderr], added)


def dotenv(own: Own, emulator: Emulator) -> str:
    """The README's `.env` with the test's values, and the emulator's hosts."""
    names = Section.read().names()
    values = own.accounts.settings(emulator) | {
        "TAP_AIOKK_TIMEZONE": "Asia/Almaty",  # the emulator's zone (tests.test_meltano_e2e)
        "TAP_ALOVOICE_CALL_IDS_FILE": names["TAP_ALOVOICE_CALL_IDS_FILE"],
        "TAP_ALOVOICE_POLL_INTERVAL_MS": "200",
        "TARGET_POSTGRES_HOST": POSTGRES["host"],
        "TARGET_POSTGRES_PORT": POSTGRES["port"],
        "TARGET_POSTGRES_USER": POSTGRES["user"],
        "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
        "TARGET_POSTGRES_DATABASE": own.database,
    }
    assert set(names) <= set(values), f"no test value for {set(names) - set(values)}"
    hosts = {k: v for k, v in values.items() if k.endswith("_URL") or k.endswith("_MS")}
    lines = (
        {name: values[name] for name in names} | hosts | {"TARGET_POSTGRES_PORT": POSTGRES["port"]}
    )
    return "".join(f"{name}={value}\n" for name, value in lines.items())


def check(problems: dict[str, str], name: str, comparison: t.Callable[[], None]) -> None:
    """Run `comparison` now, while the warehouse holds what it checks; keep its failure."""
    try:
        comparison()
    except AssertionError as error:
        problems[name] = str(error)[:3000]
    else:
        problems[name] = ""


def keys(connection: t.Any, table: str) -> set[str]:
    return {key for (key,) in connection.execute(f"SELECT call_key FROM {table}").fetchall()}


@dataclass
class Loaded:
    own: Own
    problems: dict[str, str]
    """A comparison's name -> its failure ("" when it held), made when its data was there."""
    marts: dict[str, set[str]]
    """The model's call keys, per warehouse and run, and what the emulator served then."""
    arrays: list[tuple[str, str, str]]
    session_zone: str


@pytest.fixture(scope="module")
def loaded(own: Own) -> Loaded:
    """The run block, one command at a time, with the emulator changed before the job's run."""
    config_test, to_postgres, to_duckdb, job, schedule, run_job = Section.read().run.commands()
    assert "target-postgres" in to_postgres and to_postgres.endswith("dbt-postgres:build")
    assert "target-duckdb" in to_duckdb and to_duckdb.endswith("dbt-duckdb:build")
    assert run_job.split("#")[0].split() == ["meltano", "run", job.split()[3]], (job, run_job)
    pg = psycopg.connect(
        host=POSTGRES["host"], port=int(POSTGRES["port"]), user=POSTGRES["user"],
        dbname=own.database, autocommit=True, connect_timeout=5,
    )  # fmt: skip
    schemas = {tap: tap.replace("-", "_") for tap in TAPS}
    problems: dict[str, str] = {}
    marts: dict[str, set[str]] = {}
    with Emulator() as emulator:
        own.accounts.mount(emulator)
        (own.project / ".env").write_text(dotenv(own, emulator), encoding="utf-8")
        tested = sh(own, config_test, timeout=300)
        assert "Plugin configuration is valid" in tested.stdout + tested.stderr
        truth = expected(own.accounts)
        marts["served first"] = set(mart_truth(own.accounts).calls)
        sh(own, to_postgres)
        postgres = Load("target-postgres", own.accounts, Warehouse(pg, schemas))
        check(problems, "postgres", lambda: assert_matches(postgres, truth))
        marts["postgres first"] = keys(pg, "call_model.calls")
        sh(own, to_duckdb)
        path = own.project / "output" / "warehouse.duckdb"
        with duckdb.connect(str(path), read_only=True) as db:
            in_duckdb = Load("target-duckdb", own.accounts, Warehouse(db, schemas, "?"))
            check(problems, "duckdb", lambda: assert_matches(in_duckdb, truth))
            marts["duckdb"] = keys(db, "call_model.calls")
        sh(own, job, timeout=300)
        sh(own, schedule, timeout=300)
        postgres.changes = own.accounts.change(0.1)
        truth = expected(own.accounts)
        marts["served second"] = set(mart_truth(own.accounts).calls)
        sh(own, run_job)
        check(problems, "postgres second", lambda: assert_matches(postgres, truth))
        marts["postgres second"] = keys(pg, "call_model.calls")
    (zone,) = pg.execute("SHOW timezone").fetchone() or ("",)
    arrays = pg.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema LIKE 'tap%%' AND data_type = 'ARRAY'"
    ).fetchall()
    pg.close()
    return Loaded(own, problems, marts, arrays, str(zone))


@pytest.mark.slow
def test_the_database_zone_is_not_utc(loaded: Loaded) -> None:
    """What a session without PGTZ gets: the timestamps below would be 3 hours off in it."""
    assert loaded.session_zone == ZONE


@pytest.mark.slow
def test_postgres_holds_every_row_once_with_the_instants_sent(loaded: Loaded) -> None:
    assert loaded.problems["postgres"] == ""


@pytest.mark.slow
def test_duckdb_holds_every_row_once_with_the_instants_sent(loaded: Loaded) -> None:
    """No row of any batch lost (duckdb 1.2.2 with target-duckdb 0.8.0)."""
    assert loaded.problems["duckdb"] == ""


@pytest.mark.slow
def test_the_scheduled_job_brings_postgres_to_what_changed(loaded: Loaded) -> None:
    assert loaded.problems["postgres second"] == ""


@pytest.mark.slow
def test_the_model_holds_every_call_in_both_warehouses(loaded: Loaded) -> None:
    marts = loaded.marts
    assert marts["served first"] and marts["served second"] > marts["served first"]
    assert marts["postgres first"] == marts["served first"]
    assert marts["duckdb"] == marts["served first"]
    assert marts["postgres second"] == marts["served second"]


@pytest.mark.slow
def test_no_array_typed_column_in_postgres(loaded: Loaded) -> None:
    assert loaded.arrays == []


@pytest.mark.slow
def test_add_from_ref_kept_what_the_definitions_rest_on(loaded: Loaded) -> None:
    """Each plugin as its definition says, less what Meltano drops (`config`, `schema`): the
    loader's `env` and every setting's value are there, and nothing was edited by hand."""
    added = loaded.own.added
    assert sorted(added) == sorted([*TAPS, "target-postgres", "target-duckdb", "dbt-postgres",
                                    "dbt-duckdb"])  # fmt: skip
    for name, plugin in added.items():
        assert "config" not in plugin and "schema" not in plugin, name
    assert added["target-postgres"]["env"] == {"PGTZ": "UTC"}
    values = {s["name"]: s.get("value") for s in added["target-postgres"]["settings"]}
    assert values["load_method"] == "upsert"
    duck = {s["name"]: s.get("value") for s in added["target-duckdb"]["settings"]}
    assert duck["batch_size_rows"] == 10000


@pytest.mark.slow
def test_no_secret_in_any_output(loaded: Loaded) -> None:
    text = "".join(loaded.own.outputs)
    assert "Run completed" in text or "Block run completed" in text, text[-2000:]
    for secret in SECRETS.values():
        if secret != SECRETS["email"]:
            assert secret not in text
