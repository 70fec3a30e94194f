"""End to end: `meltano run` each tap of meltano.yml into the real Postgres and into DuckDB.

The real `meltano`, MeltanoLabs' target-postgres and target-duckdb (installed by `meltano
install` from meltano.yml, pinned in plugins/loaders/) load the emulator's accounts. The tables
are then compared with the emulator's ground truth: rows per table, no duplicate keys, values
(timestamps as the same instants, Cyrillic text intact) and, in Postgres, column types. A second
run after the emulator changed some records must update exactly those rows, duplicating none.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import typing as t
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
import psycopg
import pytest

from call_emulator import Emulator
from call_emulator.testing.aiokk_truth import finished
from call_emulator.testing.alovoice_support import expected_fragments, expected_tags
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.twin24_truth import call_record, message_rows
from harness.meltano_project import PROJECT_ROOT, Accounts, Changes, install, meltano, run_all
from harness.warehouse import Warehouse, instant, loose
from tools import meltano_files

if t.TYPE_CHECKING:
    from pathlib import Path

# Every test here runs Meltano (minutes in all): `make test-slow`.
pytestmark = pytest.mark.slow

POSTGRES = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "dbname": "test"}
AIOKK_ZONE = "Asia/Almaty"
# Canaries: none may appear in meltano's output, which holds the taps' and targets' logs.
SECRETS = {
    "token": "canary-e2e-token-3b9d71c2",
    "email": "e2e@twin24.example",
    "password": "canary-e2e-password-64fa0e",
    # target-postgres insists on a password; the test server's trust auth never asks for it.
    "postgres": "canary-e2e-postgres-password-1d7c",
}
Key = tuple[t.Any, ...]


@pytest.fixture(scope="session")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`meltano install`: the taps from this checkout, the loaders pinned in meltano.yml."""
    system_db = tmp_path_factory.mktemp("meltano") / "meltano.db"
    result = install(env={"MELTANO_DATABASE_URI": f"sqlite:///{system_db}"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def postgres_connection() -> t.Any:
    try:
        return psycopg.connect(
            host=POSTGRES["host"],
            port=int(POSTGRES["port"]),
            user=POSTGRES["user"],
            dbname=POSTGRES["dbname"],
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        if os.environ.get("E2E_REQUIRE_POSTGRES"):
            pytest.fail(f"E2E_REQUIRE_POSTGRES is set, but Postgres does not answer: {error}")
        pytest.skip(
            f"no Postgres at {POSTGRES['host']}:{POSTGRES['port']} ({error}); "
            "start it to run the Postgres end-to-end test"
        )


@dataclass
class Load:
    """One loader's two runs: what the emulator served before each, and what was loaded."""

    loader: str
    accounts: Accounts
    warehouse: Warehouse
    logs: list[Path] = field(default_factory=list)
    changes: Changes | None = None
    first: dict[str, dict[Key, dict[str, t.Any]]] = field(default_factory=dict)
    """Stream -> key -> expected row, as served for the first run."""
    first_loaded: dict[str, set[Key]] = field(default_factory=dict)
    first_counts: dict[str, int] = field(default_factory=dict)
    first_written_at: datetime | None = None


def expected(accounts: Accounts) -> dict[str, dict[Key, dict[str, t.Any]]]:
    """Every row the taps must have loaded, by stream and key, from the emulator's truth."""
    zone = ZoneInfo(AIOKK_ZONE)
    dialogs = finished(accounts.aiokk.truth())
    rows: dict[str, dict[Key, dict[str, t.Any]]] = {s: {} for s in STREAM_KEYS}
    for dialog_id, raw in dialogs.items():
        analytics = raw["analytics"]
        rows["dialogs"][(dialog_id,)] = {
            "summary": analytics.get("summary"),
            "call_date": datetime.fromisoformat(raw["call"]["date"]).astimezone(UTC),
            "finished_at": datetime.fromisoformat(analytics["finishDate"])
            .replace(tzinfo=zone)
            .astimezone(UTC),
        }
        evaluation = analytics.get("evaluationCriteria") or {}
        rows["dialogs"][(dialog_id,)]["criteria"] = sorted(
            (
                {"number": n, "description": v[f"description{n}"], "mark": v[f"mark{n}"]}
                for n, v in (
                    (int(k.removeprefix("criterion")), v)
                    for k, v in evaluation.items()
                    if k.startswith("criterion")
                )
            ),
            key=lambda criterion: criterion["number"],
        )
        for name, value in evaluation.items():
            if name.startswith("criterion"):
                number = int(name.removeprefix("criterion"))
                rows["dialog_criteria"][(dialog_id, number)] = {"mark": value[f"mark{number}"]}
        text = (analytics.get("signals") or {}).get("mentionedSignals") or ""
        for position, word in enumerate([w for w in text.split(", ") if w], start=1):
            rows["dialog_signals"][(dialog_id, position)] = {"signal": word}
    for call_id, item in accounts.twin24.truth().items():
        record = call_record(item)
        rows["calls"][(call_id,)] = {
            "status": record.get("status"),
            "createdAt": _utc(record.get("createdAt")),
            "updatedAt": _utc(record.get("updatedAt")),
        }
        for line in message_rows(item):
            rows["call_messages"][(call_id, line["position"])] = {"text": line["text"]}
    for task_id in accounts.twin24.task_ids():
        rows["tasks"][(task_id,)] = {}
    for call_id in accounts.alovoice.call_ids():
        answer = accounts.alovoice.truth(call_id)
        rows["analyses"][(call_id,)] = {
            "status": "done",
            "begin_time": datetime.fromtimestamp(answer["begin_time"], UTC),
        }
        for fragment in expected_fragments(call_id, answer):
            rows["fragments"][(fragment["fragment_id"],)] = {"text": fragment["text"]}
        for tag in expected_tags(call_id, answer):
            rows["tags"][(call_id, tag["position"])] = {"name": tag["name"]}
    return rows


def _utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


STREAM_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dialogs": ("tap-aiokk", ("dialog_id",)),
    "dialog_criteria": ("tap-aiokk", ("dialog_id", "number")),
    "dialog_signals": ("tap-aiokk", ("dialog_id", "position")),
    "calls": ("tap-twin24", ("id",)),
    "call_messages": ("tap-twin24", ("call_id", "position")),
    "tasks": ("tap-twin24", ("id",)),
    "analyses": ("tap-alovoice", ("call_id",)),
    "fragments": ("tap-alovoice", ("fragment_id",)),
    "tags": ("tap-alovoice", ("call_id", "position")),
}


def loaded(load: Load, stream: str, values: t.Sequence[str] = ()) -> list[dict[str, t.Any]]:
    tap, key = STREAM_KEYS[stream]
    return load.warehouse.rows(tap, stream, [*key, *values, "_sdc_batched_at"])


def key_of(row: t.Mapping[str, t.Any], stream: str) -> Key:
    return tuple(row[name] for name in STREAM_KEYS[stream][1])


def comparable(value: t.Any, like: t.Any) -> t.Any:
    """A loaded value as the truth holds it: timestamps as UTC instants, JSON text parsed."""
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, str) and isinstance(like, list):  # DuckDB hands JSON back as text
        return json.loads(value)
    return value


def assert_matches(load: Load, truth: dict[str, dict[Key, dict[str, t.Any]]]) -> None:
    """Every table holds exactly the expected keys, once each, with the expected values.

    One documented exception: when an updated twin24 call's transcript got shorter, its lines
    past the new end stay in the target (Singer cannot delete rows); they keep the call's old
    `call_updated_at`.
    """
    updated = set(load.changes.calls_updated) if load.changes else set()
    for stream, rows in truth.items():
        assert rows, f"the emulator served no {stream}: this check would prove nothing"
        columns = sorted({name for row in rows.values() for name in row})
        found = loaded(load, stream, columns)
        keys = [key_of(row, stream) for row in found]
        assert len(keys) == len(set(keys)), f"{load.loader} {stream}: duplicate keys"
        if stream == "call_messages":
            stale = {key for key in set(keys) - set(rows) if key[0] in updated}
            found = [row for row in found if key_of(row, stream) not in stale]
            keys = [key_of(row, stream) for row in found]
        assert set(keys) == set(rows), (
            f"{load.loader} {stream}: {len(set(rows) - set(keys))} missing, "
            f"{len(set(keys) - set(rows))} unexpected"
        )
        for row in found:
            want = rows[key_of(row, stream)]
            got = {name: comparable(row[name], value) for name, value in want.items()}
            assert got == want, f"{load.loader} {stream} {key_of(row, stream)}"


def run(load: Load, env: dict[str, str], number: int, workdir: Path) -> None:
    log = workdir / f"run-{number}.log"
    result = run_all(load.loader, env, log)
    load.logs.append(log)
    assert result.returncode == 0, log.read_text(encoding="utf-8")[-5000:]


def written_after(load: Load, stream: str, moment: datetime) -> set[Key]:
    return {
        key_of(row, stream)
        for row in loaded(load, stream)
        if instant(row["_sdc_batched_at"]) > instant(moment)
    }


@pytest.fixture(scope="module", params=["target-postgres", "target-duckdb"])
def load(
    request: pytest.FixtureRequest,
    plugins: None,  # noqa: ARG001 (a fixture used for its effect)
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[Load]:
    loader: str = request.param
    workdir = tmp_path_factory.mktemp(loader)
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        # aiokk's timezone is the demo environment's (AIOKK_ZONE), so a wrong one there fails.
        # No fractional setting here: Meltano 4.4 turns such a value from the environment into
        # a Decimal it cannot write to the tap's config (see docs/loaders.md).
    }
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    if loader == "target-postgres":
        connection = postgres_connection()
        # A role of its own whose sessions default to a zone far from UTC, as on a server set
        # to local time: a timestamp converted through the session's zone comes out hours off.
        connection.execute(f'CREATE ROLE "{schema}" LOGIN')
        request.addfinalizer(lambda: drop_role(connection, schema))
        connection.execute(f'GRANT CREATE ON DATABASE "{POSTGRES["dbname"]}" TO "{schema}"')
        connection.execute(f"ALTER ROLE \"{schema}\" SET timezone = 'Asia/Vladivostok'")
        env |= {
            "TARGET_POSTGRES_HOST": POSTGRES["host"],
            "TARGET_POSTGRES_PORT": POSTGRES["port"],
            "TARGET_POSTGRES_USER": schema,
            "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
            "TARGET_POSTGRES_DATABASE": POSTGRES["dbname"],
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }
        warehouse = Warehouse(
            connection, dict.fromkeys(("tap-aiokk", "tap-twin24", "tap-alovoice"), schema)
        )
    else:
        path = workdir / "warehouse.duckdb"
        env["TARGET_DUCKDB_FILEPATH"] = str(path)
        connection = None
        warehouse = Warehouse(
            None,
            {tap: tap.replace("-", "_") for tap in ("tap-aiokk", "tap-twin24", "tap-alovoice")},
            "?",
        )
    accounts = Accounts.build(
        dialogs=300,
        calls=500,
        recordings=20,
        call_ids_file=workdir / "call_ids.txt",
        secrets=SECRETS,
        analysis_seconds=0.3,
    )
    with Emulator() as emulator:
        accounts.mount(emulator)
        env |= accounts.settings(emulator)
        result = Load(loader, accounts, warehouse)
        result.first = expected(accounts)
        run(result, env, 1, workdir)
        with ReadOnlyWhileTesting(result, workdir) as _:
            result.first_loaded = {
                s: {key_of(r, s) for r in loaded(result, s)} for s in STREAM_KEYS
            }
            result.first_counts = {s: len(loaded(result, s)) for s in STREAM_KEYS}
            result.first_written_at = max(
                instant(row["_sdc_batched_at"]) for s in STREAM_KEYS for row in loaded(result, s)
            )
        result.changes = accounts.change(0.05)
        run(result, env, 2, workdir)
        with ReadOnlyWhileTesting(result, workdir) as _:
            yield result


def drop_role(connection: t.Any, role: str) -> None:
    """Drop what the test made in the shared database: the role, its schema and its grant."""
    connection.execute(f'DROP SCHEMA IF EXISTS "{role}" CASCADE')
    connection.execute(f'DROP OWNED BY "{role}"')
    connection.execute(f'DROP ROLE "{role}"')
    connection.close()


class ReadOnlyWhileTesting:
    """DuckDB allows one writer: open the file read-only only while the tests read it."""

    def __init__(self, load: Load, workdir: Path) -> None:
        self.load, self.path = load, workdir / "warehouse.duckdb"

    def __enter__(self) -> ReadOnlyWhileTesting:
        if self.load.loader == "target-duckdb":
            self.load.warehouse.connection = duckdb.connect(str(self.path), read_only=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.load.loader == "target-duckdb":
            self.load.warehouse.connection.close()


def test_first_run_loads_every_row_once(load: Load) -> None:
    for stream, rows in load.first.items():
        assert load.first_loaded[stream] == set(rows), f"{load.loader} {stream}"
        assert load.first_counts[stream] == len(rows), f"{load.loader} {stream}: duplicates"


def test_second_run_matches_the_changed_accounts(load: Load) -> None:
    """Row counts, keys (none twice) and values equal what the emulator serves now."""
    assert_matches(load, expected(load.accounts))


def test_second_run_writes_only_what_changed(load: Load) -> None:
    assert load.changes is not None and load.first_written_at is not None
    since = load.first_written_at
    assert load.changes.calls_updated, "no twin24 change: the check would prove nothing"
    assert written_after(load, "calls", since) == {(i,) for i in load.changes.calls_updated}
    dialogs = set(load.changes.dialogs_finished) | set(load.changes.dialogs_reanalysed)
    assert written_after(load, "dialogs", since) == {(i,) for i in dialogs}
    added = {(i,) for i in load.changes.recordings_added}
    assert added and written_after(load, "analyses", since) == added


def test_timestamps_and_cyrillic_survive(load: Load) -> None:
    """Spot checks the eye would make: a call at +05, a Russian summary, one transcript."""
    truth = expected(load.accounts)
    dialog = next(iter(truth["dialogs"]))
    row = next(
        r
        for r in loaded(load, "dialogs", ["summary", "call_date"])
        if key_of(r, "dialogs") == dialog
    )
    assert instant(row["call_date"]) == truth["dialogs"][dialog]["call_date"]
    assert row["summary"] == truth["dialogs"][dialog]["summary"]
    assert is_russian(row["summary"]), row["summary"]
    lines = loaded(load, "call_messages", ["text"])
    assert any(is_russian(r["text"]) for r in lines)


def is_russian(text: str) -> bool:
    return any("\u0430" <= ch <= "\u044f" for ch in text.lower())


def test_postgres_column_types(load: Load) -> None:
    """Timestamps as timestamps, integers as bigint, lists and nested data as jsonb: no
    column of an array type, which COPY and most BI tools cannot read."""
    if load.loader != "target-postgres":
        pytest.skip("column types are checked in Postgres only")
    schema = load.warehouse.schemas["tap-aiokk"]
    found = load.warehouse.connection.execute(
        "SELECT table_name, column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = %s",
        (schema,),
    ).fetchall()
    types = {(table, loose(column)): udt for table, column, udt in found}
    expected = {
        ("dialogs", "finishedat"): "timestamp",
        ("dialogs", "calldate"): "timestamp",
        ("dialogs", "dialogid"): "int8",
        ("dialogs", "price"): "numeric",
        ("dialogs", "criteria"): "jsonb",
        ("dialogs", "markers"): "jsonb",
        ("dialogs", "languages"): "jsonb",
        ("dialogs", "mentionedsignals"): "jsonb",
        ("calls", "updatedat"): "timestamp",
        ("calls", "duration"): "int8",
        ("calls", "isfinished"): "bool",
        ("call_messages", "position"): "int8",
        ("analyses", "begintime"): "timestamp",
        ("fragments", "beginms"): "int8",
        ("tags", "matched"): "bool",
    }
    assert {key: types.get(key) for key in expected} == expected
    arrays = {key: udt for key, udt in types.items() if udt.startswith("_")}
    assert not arrays, f"array-typed columns: {arrays}"


def test_no_secret_in_meltano_output(load: Load) -> None:
    text = "".join(log.read_text(encoding="utf-8") for log in load.logs)
    assert text, "no log to scan"
    for secret in (SECRETS["token"], SECRETS["password"], SECRETS["postgres"]):
        assert secret not in text
    assert json.dumps(SECRETS["token"]) not in text


def test_make_demo_loads_and_then_only_what_changed(plugins: None, tmp_path: Path) -> None:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
    """`make demo` at a small scale: it checks its own second run and exits 1 when it lies."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.demo",
            "--port",
            "0",
            "--dialogs",
            "200",
            "--calls",
            "300",
            "--recordings",
            "10",
            "--output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        # tools/ is the checkout's, not an installed package: found from the checkout's root.
        env=clean_environ({"PYTHONPATH": str(PROJECT_ROOT)}),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    tables = re.findall(r"^  (tap_\w+\.\w+) +(\d+) +(\d+)", result.stdout, re.MULTILINE)
    assert len(tables) == 2 * len(STREAM_KEYS), result.stdout
    first, second = tables[: len(STREAM_KEYS)], tables[len(STREAM_KEYS) :]
    assert all(int(total) == int(written) > 0 for _, total, written in first)
    written = {name: int(count) for name, _, count in second}
    assert 0 < written["tap_twin24.calls"] < 300
    assert "Emulator stopped." in result.stdout


def jsonl_settings(accounts: Accounts, emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    """Every tap pointed at `emulator`, state in `tmp_path`, target-jsonl writing there."""
    return {
        **accounts.settings(emulator),
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "jsonl"),
        "TARGET_JSONL_DO_TIMESTAMP_FILE": "false",
    }


def test_target_jsonl_writes_every_call(plugins: None, tmp_path: Path) -> None:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
    """The third loader: tap-twin24's calls land in calls.jsonl, each call once."""
    accounts = Accounts.build(
        dialogs=1, calls=120, recordings=1, call_ids_file=tmp_path / "ids.txt", secrets=SECRETS
    )
    with Emulator() as emulator:
        accounts.mount(emulator)
        env = jsonl_settings(accounts, emulator, tmp_path)
        log = tmp_path / "run.log"
        result = meltano(
            "--environment=demo", "run", "tap-twin24", "target-jsonl", env=env, log=log
        )
    assert result.returncode == 0, log.read_text(encoding="utf-8")[-4000:]
    lines = (tmp_path / "jsonl" / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert sorted(ids) == sorted(accounts.twin24.truth()) and len(ids) == 120


# Every whole-number setting, with a value other than its default, as a user would set it
# (the SDK's flattening settings too: they apply once flattening_enabled is set).
SDK_NUMBERS = {"flattening_max_depth": 2, "flattening_max_key_length": 200}
NUMBERS_FROM_THE_ENVIRONMENT: dict[str, dict[str, int]] = {
    "tap-aiokk": {
        "lookback_minutes": 90,
        "request_timeout": 30,
        "max_retries": 3,
        "backoff_ms": 20,
        **SDK_NUMBERS,
    },
    "tap-twin24": {
        "page_size": 7,
        "window_hours": 12,
        "settle_seconds": 0,
        "request_timeout": 30,
        "max_retries": 3,
        "backoff_ms": 20,
        **SDK_NUMBERS,
    },
    "tap-alovoice": {
        "max_concurrency": 4,
        "poll_interval_ms": 200,
        "poll_interval_max_ms": 800,
        "max_wait": 60,
        "request_timeout": 30,
        "max_retries": 3,
        "backoff_ms": 20,
        **SDK_NUMBERS,
    },
}


def declared_numbers() -> dict[str, set[str]]:
    """The extractors' settings that meltano.yml declares as numbers of any kind."""
    project = meltano_files.project()
    return {
        extractor["name"]: {
            setting["name"]
            for setting in extractor.get("settings", [])
            if setting.get("kind") in {"integer", "decimal"}
        }
        for extractor in project["plugins"]["extractors"]
        if "inherit_from" not in extractor
    }


def test_every_number_comes_from_the_environment_and_dotenv(plugins: None, tmp_path: Path) -> None:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
    """Meltano 4.4 passes each whole-number setting from an environment variable and from .env
    (half of them each way) to the taps, which take them: every tap loads every row."""
    assert declared_numbers() == {
        tap: set(values) for tap, values in NUMBERS_FROM_THE_ENVIRONMENT.items()
    }
    variables = {
        f"{tap.upper().replace('-', '_')}_{name.upper()}": str(value)
        for tap, values in NUMBERS_FROM_THE_ENVIRONMENT.items()
        for name, value in values.items()
    }
    names = sorted(variables)
    in_environment = {name: variables[name] for name in names[::2]}
    dotenv = tmp_path / "numbers.env"
    dotenv.write_text("".join(f"{name}={variables[name]}\n" for name in names[1::2]))
    accounts = Accounts.build(
        dialogs=30, calls=40, recordings=4, call_ids_file=tmp_path / "ids.txt", secrets=SECRETS
    )
    with Emulator() as emulator:
        accounts.mount(emulator)
        env = jsonl_settings(accounts, emulator, tmp_path) | in_environment
        resolved = {
            tap: json.loads(
                meltano(
                    "--environment=demo",
                    "config",
                    "print",
                    tap,
                    "--format=json",
                    env=env,
                    env_file=dotenv,
                ).stdout
            )
            for tap in NUMBERS_FROM_THE_ENVIRONMENT
        }
        blocks = [name for tap in NUMBERS_FROM_THE_ENVIRONMENT for name in (tap, "target-jsonl")]
        log = tmp_path / "run.log"
        result = meltano("--environment=demo", "run", *blocks, env=env, log=log, env_file=dotenv)
    output = log.read_text(encoding="utf-8")
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output and "unknown setting" not in output
    for tap, values in NUMBERS_FROM_THE_ENVIRONMENT.items():
        assert {name: resolved[tap][name] for name in values} == values, tap

    def keys(stream: str, key: str) -> set[t.Any]:
        path = tmp_path / "jsonl" / f"{stream}.jsonl"
        return {json.loads(line)[key] for line in path.read_text(encoding="utf-8").splitlines()}

    assert keys("dialogs", "dialog_id") == set(accounts.aiokk.finished_ids())
    assert keys("calls", "id") == set(accounts.twin24.truth())
    assert keys("analyses", "call_id") == set(accounts.alovoice.call_ids())


@pytest.mark.parametrize(
    ("tap", "state"),
    [
        ("tap-twin24", {"bookmarks": {"calls": []}}),
        ("tap-aiokk", {"bookmarks": "dialogs"}),
        ("tap-alovoice", {"bookmarks": {"analyses": {"done_call_ids": "all"}}}),
    ],
)
def test_a_bad_state_through_meltano_run_is_one_error_line(
    plugins: None,  # noqa: ARG001 (a fixture used for its effect)
    tmp_path: Path,
    tap: str,
    state: dict[str, t.Any],
) -> None:
    """A state set by hand in the wrong shape: the tap says so once, Meltano stops the run."""
    accounts = Accounts.build(
        dialogs=3, calls=5, recordings=1, call_ids_file=tmp_path / "ids.txt", secrets=SECRETS
    )
    with Emulator() as emulator:
        accounts.mount(emulator)
        env = jsonl_settings(accounts, emulator, tmp_path)
        state_id = f"demo:{tap}-to-target-jsonl"
        saved = meltano(
            "--environment=demo", "state", "set", "--force", state_id,
            json.dumps({"singer_state": state}), env=env,
        )  # fmt: skip
        assert saved.returncode == 0, saved.stderr[-2000:]
        log = tmp_path / "run.log"
        result = meltano("--environment=demo", "run", tap, "target-jsonl", env=env, log=log)
    output = log.read_text(encoding="utf-8")
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output
    said = [line for line in output.splitlines() if re.search(rf"\[error +\] {tap} ", line)]
    assert len(said) == 1, output[-3000:]
    assert "cannot use --state" in said[0] and "meltano state clear --force" in said[0]
    assert not (tmp_path / "jsonl").exists() or not any((tmp_path / "jsonl").iterdir())
