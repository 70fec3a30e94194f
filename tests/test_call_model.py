"""The call model (transform/), built by Meltano's dbt utilities on what the loaders wrote.

For DuckDB and for Postgres, as a user runs it: `meltano run` of the three taps into the loader
and then `dbt-duckdb:build` or `dbt-postgres:build` (the models and their dbt tests), twice, with
the emulator's accounts changed in between (twin24 calls updated, some with a shorter transcript;
aiokk dialogs re-analysed; alovoice calls added). Each mart is then compared, key by key, with
what the emulator serves now: stale rows the loaders keep must not reach the marts.

The checks are written once (`MartChecks`) and run per loader by a class of its own. With
`personal_data` set to hash or drop (from the environment only, as a user sets it in `.env`),
one run and one build: the model builds, and no phone number, name or transcript line the
emulator served is in any table of the warehouse (`MaskedMartChecks`).
"""

from __future__ import annotations

import os
import re
import typing as t
import uuid
from dataclasses import dataclass

import duckdb
import psycopg
import pytest

from call_emulator import Emulator
from call_emulator.testing.personal_values import (
    aiokk_values,
    alovoice_values,
    found_in,
    searchable,
    twin24_values,
)
from harness.call_model_truth import Call, MartTruth, mart_truth
from harness.meltano_project import Accounts, install, run_all

POSTGRES = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "dbname": "test"}
SECRETS = {
    "token": "canary-model-token-5e20c4",
    "email": "model@twin24.example",
    "password": "canary-model-password-9b1f",
    "postgres": "canary-model-postgres-password-77d2",
    "personal_data_key": "canary-model-personal-data-key-3f81",
}
UTILITY = {"target-duckdb": "dbt-duckdb", "target-postgres": "dbt-postgres"}
# Four Meltano runs and four dbt builds (minutes): `make test-slow`. The rules are pinned on
# hand-made tables by tests/test_call_model_rules.py, in `make test`.
pytestmark = pytest.mark.slow


@dataclass
class Built:
    loader: str
    truth: MartTruth
    marts: dict[str, list[dict[str, t.Any]]]
    logs: list[str]
    """Meltano's output of each run."""
    dbt_output: list[str]
    """dbt's own log and artifacts (compiled SQL, run results)."""
    stale_lines: int
    """twin24 transcript lines in the loader's table that no current version of a call has."""
    warehouse: str
    """Every value of every table the loader and dbt wrote, as text."""
    served: set[str]
    """The personal values the emulator served (call_emulator.testing.personal_values)."""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> None:
    system_db = tmp_path_factory.mktemp("meltano") / "meltano.db"
    result = install(
        "tap-aiokk", "tap-twin24", "tap-alovoice", "target-duckdb", "target-postgres",
        "dbt-duckdb", "dbt-postgres",
        env={"MELTANO_DATABASE_URI": f"sqlite:///{system_db}"},
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def postgres() -> t.Any:
    try:
        return psycopg.connect(
            host=POSTGRES["host"], port=int(POSTGRES["port"]), user=POSTGRES["user"],
            dbname=POSTGRES["dbname"], autocommit=True, connect_timeout=5,
        )  # fmt: skip
    except psycopg.OperationalError as error:
        if os.environ.get("E2E_REQUIRE_POSTGRES"):
            pytest.fail(f"E2E_REQUIRE_POSTGRES is set, but Postgres does not answer: {error}")
        pytest.skip(f"no Postgres at {POSTGRES['host']}:{POSTGRES['port']} ({error})")


MARTS = {
    "calls": ["call_key", "vendor", "started_at", "duration_seconds", "status", "cost"],
    "call_transcript_lines": ["line_key", "call_key", "speaker", "text"],
    "call_quality": ["quality_key", "call_key", "measure", "value", "score", "text"],
}


def read_marts(connection: t.Any, schema: str) -> dict[str, list[dict[str, t.Any]]]:
    marts = {}
    for mart, columns in MARTS.items():
        cursor = connection.cursor()
        cursor.execute(f'SELECT {", ".join(columns)} FROM "{schema}"."{mart}"')
        marts[mart] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.close()
    return marts


STALE = """SELECT count(*) FROM "{schema}".call_messages AS m
    WHERE NOT EXISTS (SELECT 1 FROM "{schema}".calls AS c
                      WHERE c.id = m.call_id AND c.{updated} = m.call_updated_at)"""


@pytest.fixture(scope="class")
def built(
    request: pytest.FixtureRequest,
    plugins: None,  # noqa: ARG001 (a fixture used for its effect)
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[Built]:
    loader: str = request.cls.loader
    mode: str = request.cls.personal_data
    workdir = tmp_path_factory.mktemp(f"{loader}-{mode}")
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        # dbt's compiled SQL, partial-parse file and logs, apart from other runs of the model.
        "DBT_TARGET_PATH": str(workdir / "dbt-target"),
        "DBT_LOG_PATH": str(workdir / "dbt-logs"),
    }
    connection: t.Any = None
    if loader == "target-postgres":
        connection = postgres()
        schema = f"model_{uuid.uuid4().hex[:10]}"
        model = f"{schema}_marts"
        # The utility's settings as a user sets them: from the environment, by their own names.
        env |= {
            "TARGET_POSTGRES_HOST": POSTGRES["host"],
            "TARGET_POSTGRES_PORT": POSTGRES["port"],
            "TARGET_POSTGRES_USER": POSTGRES["user"],
            "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
            "TARGET_POSTGRES_DATABASE": POSTGRES["dbname"],
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
            "DBT_POSTGRES_HOST": POSTGRES["host"],
            "DBT_POSTGRES_PORT": POSTGRES["port"],
            "DBT_POSTGRES_USER": POSTGRES["user"],
            "DBT_POSTGRES_PASSWORD": SECRETS["postgres"],
            "DBT_POSTGRES_DBNAME": POSTGRES["dbname"],
            "DBT_POSTGRES_SCHEMA": model,
            "DBT_POSTGRES_AIOKK_SCHEMA": schema,
            "DBT_POSTGRES_TWIN24_SCHEMA": schema,
            "DBT_POSTGRES_ALOVOICE_SCHEMA": schema,
        }
        request.addfinalizer(lambda: drop(connection, schema, model, f"{model}_staging"))
        stale = STALE.format(schema=schema, updated='"updatedAt"')
    else:
        path = workdir / "warehouse.duckdb"
        env |= {"TARGET_DUCKDB_FILEPATH": str(path), "DBT_DUCKDB_PATH": str(path)}
        model = "call_model"
        stale = STALE.format(schema="tap_twin24", updated="updatedat")
    accounts = Accounts.build(
        dialogs=150, calls=300, recordings=8, call_ids_file=workdir / "call_ids.txt",
        secrets=SECRETS, analysis_seconds=0.3,
    )  # fmt: skip
    logs = []
    with Emulator() as emulator:
        accounts.mount(emulator)
        env |= accounts.settings(emulator) | personal_data_settings(mode)
        for number in range(1, request.cls.runs + 1):
            if number == 2:
                accounts.change(0.1)
            log = workdir / f"run-{number}.log"
            result = run_all(loader, env, log, then=[f"{UTILITY[loader]}:build"])
            logs.append(log.read_text(encoding="utf-8"))
            assert result.returncode == 0, logs[-1][-6000:]
    dbt_files = [*(workdir / "dbt-logs").glob("*"), *(workdir / "dbt-target").glob("*.json")]
    assert dbt_files, "dbt wrote no log and no artifact"
    dbt_output = [path.read_text(encoding="utf-8") for path in dbt_files]
    if connection is None:
        connection = duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True)
    served = (
        aiokk_values(accounts.aiokk.truth())
        | twin24_values(accounts.twin24)
        | alovoice_values(accounts.alovoice)
    )
    try:
        (stale_lines,) = connection.execute(stale).fetchone()
        marts = read_marts(connection, model)
        warehouse = warehouse_text(connection, schema if loader == "target-postgres" else None)
        truth = mart_truth(accounts)
        yield Built(loader, truth, marts, logs, dbt_output, stale_lines, warehouse, served)
    finally:
        if loader == "target-duckdb":
            connection.close()


def personal_data_settings(mode: str) -> dict[str, str]:
    """`personal_data` for the three taps, as variables (the key, too, only there)."""
    if mode == "keep":
        return {}
    env = {}
    for tap in ("TAP_AIOKK", "TAP_TWIN24", "TAP_ALOVOICE"):
        env[f"{tap}_PERSONAL_DATA"] = mode
        if mode == "hash":
            env[f"{tap}_PERSONAL_DATA_KEY"] = SECRETS["personal_data_key"]
    return env


def warehouse_text(connection: t.Any, prefix: str | None) -> str:
    """Every row of every table in the schemas starting with `prefix` (all, if None)."""
    tables = connection.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
    ).fetchall()
    rows = []
    for schema, table in tables:
        if prefix is None or schema.startswith(prefix):
            rows += connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
    assert rows, "the warehouse is empty"
    return "\n".join(str(row) for row in rows)


def drop(connection: t.Any, *schemas: str) -> None:
    for schema in schemas:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def keyed(rows: list[dict[str, t.Any]], key: str) -> dict[str, dict[str, t.Any]]:
    found = {row[key]: row for row in rows}
    assert len(found) == len(rows), f"{key} is not unique"
    return found


def assert_built(built: Built) -> None:
    for log in built.logs:
        done = re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", log)
        assert done, log[-3000:]
        passed, warned, errors, skipped = map(int, done[-1])
        assert (warned, errors, skipped) == (0, 0, 0), log[-3000:]
        assert passed >= 11 + 30, "models and dbt tests are missing"  # 11 models, 30+ tests


class MartChecks:
    """Every check, for the loader of the class that runs them."""

    loader: str
    personal_data = "keep"
    runs = 2

    def test_dbt_build_ran_every_model_and_test_and_passed(self, built: Built) -> None:
        assert_built(built)

    def test_the_personal_values_served_are_in_the_warehouse(self, built: Built) -> None:
        """With keep: which shows the search of MaskedMartChecks finds them."""
        assert len(found_in(built.warehouse, built.served)) == len(searchable(built.served))

    def test_calls_hold_every_served_call_once_with_its_values(self, built: Built) -> None:
        """Start times in UTC (aiokk's local call.date converted), durations, statuses, costs."""
        calls = keyed(built.marts["calls"], "call_key")
        got = {
            key: Call(
                row["vendor"],
                row["started_at"],
                row["duration_seconds"],
                row["status"],
                None if row["cost"] is None else float(row["cost"]),
            )
            for key, row in calls.items()
        }
        assert got == built.truth.calls
        assert {"aiokk", "twin24", "alovoice"} == {c.vendor for c in built.truth.calls.values()}

    def test_transcript_lines_are_the_current_versions_only(self, built: Built) -> None:
        """The twin24 calls updated with a shorter transcript left lines in the loader's table;
        none of them is in the mart, and every current line is, with its speaker."""
        assert built.stale_lines > 0, "no transcript got shorter: the check would prove nothing"
        lines = keyed(built.marts["call_transcript_lines"], "line_key")
        got = {key: (row["speaker"], row["text"]) for key, row in lines.items()}
        assert got == built.truth.lines
        assert all(row["call_key"] == key.rsplit(":", 1)[0] for key, row in lines.items())

    def test_quality_has_one_row_per_call_and_measure_with_its_value(self, built: Built) -> None:
        quality = keyed(built.marts["call_quality"], "quality_key")
        got = {
            key: None if row["value"] is None else float(row["value"])
            for key, row in quality.items()
        }
        assert got == built.truth.quality
        measures = {row["measure"] for row in quality.values()}
        assert measures == {
            "overall_grade", "criterion", "client_loyalty", "signal_words", "rule",
            "dialog_result", "nps",
        }  # fmt: skip
        words = {key: quality[key]["text"] for key in built.truth.signal_words}
        assert words == built.truth.signal_words

    def test_scores_lie_between_zero_and_one(self, built: Built) -> None:
        scores = [row["score"] for row in built.marts["call_quality"] if row["score"] is not None]
        assert scores, "no measure has a scale"
        assert all(0 <= float(score) <= 1 for score in scores)

    def test_no_secret_in_the_output(self, built: Built) -> None:
        """Not in Meltano's output, nor in dbt's log and artifacts."""
        text = "".join(built.logs + built.dbt_output)
        for secret in (SECRETS["token"], SECRETS["password"], SECRETS["postgres"]):
            assert secret not in text


class TestOnDuckDB(MartChecks):
    loader = "target-duckdb"


class TestOnPostgres(MartChecks):
    loader = "target-postgres"


class MaskedMartChecks:
    """With personal_data set: one run, one build."""

    loader: str
    personal_data: str
    runs = 1

    def test_dbt_build_ran_every_model_and_test_and_passed(self, built: Built) -> None:
        assert_built(built)

    def test_no_personal_value_served_is_in_any_table_or_log(self, built: Built) -> None:
        assert len(searchable(built.served)) > 100
        assert found_in(built.warehouse, built.served) == []
        assert found_in("".join(built.logs + built.dbt_output), built.served) == []

    def test_every_call_line_and_measure_is_there_without_text(self, built: Built) -> None:
        calls = keyed(built.marts["calls"], "call_key")
        assert set(calls) == set(built.truth.calls)
        lines = keyed(built.marts["call_transcript_lines"], "line_key")
        assert set(lines) == set(built.truth.lines)
        assert {row["text"] for row in lines.values()} == {None}
        quality = keyed(built.marts["call_quality"], "quality_key")
        assert set(quality) == set(built.truth.quality)

    def test_no_secret_in_the_output(self, built: Built) -> None:
        text = "".join(built.logs + built.dbt_output) + built.warehouse
        for secret in SECRETS.values():
            if "canary" in secret:
                assert secret not in text


class TestHashedOnDuckDB(MaskedMartChecks):
    loader = "target-duckdb"
    personal_data = "hash"


class TestHashedOnPostgres(MaskedMartChecks):
    loader = "target-postgres"
    personal_data = "hash"


class TestDroppedOnDuckDB(MaskedMartChecks):
    loader = "target-duckdb"
    personal_data = "drop"
