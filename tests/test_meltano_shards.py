"""Scaling out: the shards of the docs, all started at once, load the taps' own tables in Postgres.

The recipe comes from docs/scaling-out.md (its tables step is run as written, its run
commands must be one per shard of meltano.yml) and from meltano.yml (the shards). Meltano's
system database is in Postgres, as several machines would share it, and each shard is a process
group of its own. The first round starts all six on an empty database. In the second, after the
emulator changed records, one twin24 shard is killed with SIGKILL (meltano, tap and target)
once it has loaded some of its changed calls but not all; a retry is refused while Meltano
still holds the dead run as running, and the retry once its heartbeat has expired resumes from
the shard's own state. Then the tables equal the emulator's truth with no key twice, only what
changed was written after the first round, and each shard has a state of its own that no other
shard touched.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import typing as t
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest

from call_emulator import Emulator, Request, Response
from harness.meltano_project import Accounts, Changes
from harness.shards import (
    LOADER,
    Shard,
    Split,
    finish,
    refresh_call_lists,
    scaling_out_blocks,
    shards,
    split,
    started,
    tables_step,
)
from harness.warehouse import Warehouse, instant
from tests.test_meltano_e2e import (
    POSTGRES,
    SECRETS,
    STREAM_KEYS,
    Load,
    assert_matches,
    expected,
    plugins,  # noqa: F401  # the session's `meltano install`
    postgres_connection,
    written_after,
)

if t.TYPE_CHECKING:
    from pathlib import Path

# Minutes of Meltano runs: `make scale-out`, which `make test-slow` calls.
pytestmark = pytest.mark.slow

KILLED = "tap-twin24-tasks-a"
SCHEMAS = {"tap-aiokk": "tap_aiokk", "tap-twin24": "tap_twin24", "tap-alovoice": "tap_alovoice"}


class Paced:
    """twin24's calls host, answering one shard's tasks slowly, so that the test can see that
    shard halfway through its calls and kill it there."""

    def __init__(self, vendor: t.Any, tasks: t.Collection[str], seconds: float) -> None:
        self.vendor, self.tasks, self.seconds = vendor, set(tasks), seconds
        self.on = True

    def handle(self, request: Request) -> Response:
        if self.on and set(request.query.get("taskId", [])) & self.tasks:
            time.sleep(self.seconds)
        return t.cast("Response", self.vendor.handle(request))


@dataclass
class Sharded:
    """What the rounds did, for the tests to check."""

    load: Load
    every: list[Shard]
    parts: Split
    codes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Round -> shard -> exit code."""
    killed_loaded: int = 0
    killed_expected: int = 0
    refused: subprocess.CompletedProcess[str] | None = None
    states: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    """Moment ("killed", "resumed", "second") -> state id -> state."""
    first_written_at: t.Any = None
    changes: Changes | None = None


def read_states(connection: t.Any) -> dict[str, t.Any]:
    rows = connection.execute('SELECT state_id, partial_state, completed_state FROM "state"')
    return {sid: {"partial": parsed(p), "completed": parsed(c)} for sid, p, c in rows.fetchall()}


def parsed(value: t.Any) -> t.Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def sharded(
    plugins: None,  # noqa: F811, ARG001
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[Sharded]:
    workdir = tmp_path_factory.mktemp("shards")
    admin = postgres_connection()
    database = f"shards_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    try:
        connection = psycopg.connect(
            host=POSTGRES["host"], port=int(POSTGRES["port"]), user=POSTGRES["user"],
            dbname=database, autocommit=True,
        )  # fmt: skip
        with connection:
            connection.execute("CREATE SCHEMA meltano")
            yield from rounds(connection, database, workdir)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def rounds(connection: t.Any, database: str, workdir: Path) -> t.Iterator[Sharded]:
    every = shards()
    accounts = Accounts.build(
        dialogs=200, calls=400, recordings=16, call_ids_file=workdir / "all-calls.txt",
        secrets=SECRETS, analysis_seconds=0.3,
    )  # fmt: skip
    parts = split(accounts, every, workdir)
    warehouse = Warehouse(connection, SCHEMAS)
    result = Sharded(Load(LOADER, accounts, warehouse), every, parts)
    with Emulator() as emulator:
        accounts.mount(emulator)
        slow_tasks = parts.parts[KILLED]
        paced = Paced(accounts.twin24.analyse, slow_tasks, 0.25)
        paced.on = False
        emulator.mount("/twin24/analyse", paced)
        # Each shard's call list comes under its own name (Meltano refuses the parent's too).
        env = {k: v for k, v in accounts.settings(emulator).items() if "CALL_IDS_FILE" not in k}
        env |= parts.settings | {
            "MELTANO_DATABASE_URI": (
                f"postgresql+psycopg://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}"
                f"/{database}?options=-csearch_path%3Dmeltano"
            ),
            "TARGET_POSTGRES_HOST": POSTGRES["host"],
            "TARGET_POSTGRES_PORT": POSTGRES["port"],
            "TARGET_POSTGRES_USER": POSTGRES["user"],
            "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
            "TARGET_POSTGRES_DATABASE": database,
        }
        tables_step(env, workdir)
        connection.execute("SET search_path TO meltano")
        with started(every, env, workdir, "first") as runs:
            result.codes["first"] = finish(runs)
        result.states["first"] = read_states(connection)
        result.first_written_at = max(
            instant(row["_sdc_batched_at"])
            for stream in STREAM_KEYS
            for row in warehouse.rows(STREAM_KEYS[stream][0], stream, ["_sdc_batched_at"])
        )
        result.load.first = expected(accounts)
        # A day's changes, and many of the killed shard's calls moved on, so that its second
        # run has pages to die between.
        changes = accounts.change(0.05)
        changes.calls_updated = sorted({*changes.calls_updated, *accounts.twin24.update(0.5)})
        result.changes = result.load.changes = changes
        refresh_call_lists(accounts, every, parts)
        mine = {c for c in changes.calls_updated if task_of(accounts, c) in slow_tasks}
        result.killed_expected = len(mine)
        # The killed shard reads one window in pages of 20, slowly, and commits every 20 rows,
        # so that it can die halfway.
        prefix = KILLED.upper().replace("-", "_")
        small = {
            KILLED: {
                f"{prefix}_PAGE_SIZE": "20",
                f"{prefix}_WINDOW_HOURS": "8784",  # the longest: one window
                "TARGET_POSTGRES_BATCH_SIZE_ROWS": "20",
            }
        }
        paced.on = True
        with started(every, env, workdir, "second", per_shard=small) as runs:
            victim = next(run for run in runs if run.shard.name == KILLED)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and victim.process.poll() is None:
                count = len(written_since(warehouse, result.first_written_at) & mine)
                if 0 < count < result.killed_expected:
                    victim.kill()
                    result.killed_loaded = count
                    break
                time.sleep(0.05)
            result.codes["second"] = finish(runs)
        paced.on = False
        result.states["killed"] = read_states(connection)
        result.refused = resume(every, env, workdir, "refused", small)
        # The scheduler's retry comes once the dead run has missed its heartbeat for 5 minutes
        # (docs/scaling-out.md); here its heartbeat is moved 6 minutes back instead of waiting.
        connection.execute(
            "UPDATE runs SET started_at = started_at - interval '6 minutes', "
            "last_heartbeat_at = last_heartbeat_at - interval '6 minutes' "
            "WHERE job_name = %s AND state = 'RUNNING'",
            (f"demo:{KILLED}-to-{LOADER}",),
        )
        resumed = resume(every, env, workdir, "resumed", small)
        result.codes["resumed"] = {KILLED: resumed.returncode}
        result.states["resumed"] = read_states(connection)
        yield result


def task_of(accounts: Accounts, call_id: str) -> str:
    return str(accounts.twin24.call(call_id).get("taskId"))


def written_since(warehouse: Warehouse, moment: t.Any) -> set[str]:
    rows = warehouse.rows("tap-twin24", "calls", ["id", "_sdc_batched_at"])
    return {row["id"] for row in rows if instant(row["_sdc_batched_at"]) > moment}


def resume(
    every: list[Shard],
    env: t.Mapping[str, str],
    workdir: Path,
    label: str,
    per_shard: t.Mapping[str, t.Mapping[str, str]],
) -> subprocess.CompletedProcess[str]:
    """The killed shard's next run, as a scheduler's retry would start it."""
    shard = [s for s in every if s.name == KILLED]
    with started(shard, env, workdir, label, per_shard=per_shard) as runs:
        code = finish(runs)[KILLED]
    log = runs[0].log.read_text(encoding="utf-8")
    return subprocess.CompletedProcess([], code, log, "")


def test_readme_runs_each_shard_of_meltano_yml_once() -> None:
    """The page's run block is `meltano run SHARD target-postgres &` for every shard."""
    lines = [line for line in scaling_out_blocks()[1].splitlines() if line.strip()]
    wanted = [
        f".venv/bin/meltano --environment=prod run {shard.name} {LOADER} &" for shard in shards()
    ]
    assert lines == [*wanted, "wait"]
    assert {shard.parent for shard in shards()} == set(SCHEMAS)
    assert all(shard.namespace == SCHEMAS[shard.parent] for shard in shards())


def test_all_shards_started_together_load_into_the_taps_tables(sharded: Sharded) -> None:
    codes, names = sharded.codes, [shard.name for shard in sharded.every]
    assert codes["first"] == dict.fromkeys(names, 0)
    assert codes["second"] == dict.fromkeys(names, 0) | {KILLED: -9}
    assert codes["resumed"] == {KILLED: 0}
    for parent, schema in SCHEMAS.items():
        tables = sharded.load.warehouse.tables(parent)
        assert tables == {s for s, (tap, _) in STREAM_KEYS.items() if tap == parent}, schema


def test_killed_shard_had_loaded_some_but_not_all(sharded: Sharded) -> None:
    assert 0 < sharded.killed_loaded < sharded.killed_expected


def test_a_retry_of_the_killed_shard_waits_for_its_heartbeat(sharded: Sharded) -> None:
    """Meltano holds the killed run as running until it has missed its heartbeat for 5
    minutes: a retry before then is refused with one line (docs/scaling-out.md: retry after 5
    minutes)."""
    assert sharded.refused is not None and sharded.refused.returncode == 1
    assert "is already running" in sharded.refused.stdout


def test_rows_equal_the_truth_once_each(sharded: Sharded) -> None:
    """After the killed shard resumed: every table, keys and values, none twice."""
    assert_matches(sharded.load, expected(sharded.load.accounts))


def test_each_shard_has_its_own_state_untouched_by_the_others(sharded: Sharded) -> None:
    """Six state ids; the dead run left its shard's state as the first round saved it, the
    resume changed that one only; a twin24 shard's bookmarks are its own tasks', an alovoice
    shard's its own calls'."""
    states = sharded.states
    ids = {s.name: s.state_id("demo") for s in sharded.every}
    assert set(ids.values()) <= set(states["first"])
    assert states["killed"][ids[KILLED]] == states["first"][ids[KILLED]]
    for name, state_id in ids.items():
        if name != KILLED:
            assert states["resumed"][state_id] == states["killed"][state_id], name
            assert states["killed"][state_id] != states["first"][state_id], name
    assert states["resumed"][ids[KILLED]] != states["killed"][ids[KILLED]]
    for shard in sharded.every:
        text = json.dumps(states["resumed"][ids[shard.name]])
        others = [
            part
            for other in sharded.every
            if other.parent == shard.parent and other.name != shard.name
            for part in sharded.parts.parts[other.name]
            if isinstance(part, str)
        ]
        assert not [part for part in others if f'"{part}"' in text], shard.name
        if shard.parent == "tap-twin24":
            bookmarked = set(re.findall(r'"taskId": "([^"]+)"', text))
            assert bookmarked == set(sharded.parts.parts[shard.name]), shard.name


def test_second_round_writes_only_what_changed(sharded: Sharded) -> None:
    changes, load = sharded.changes, sharded.load
    assert changes is not None and changes.calls_updated
    since = sharded.first_written_at
    assert written_after(load, "calls", since) == {(i,) for i in changes.calls_updated}
    dialogs = set(changes.dialogs_finished) | set(changes.dialogs_reanalysed)
    assert written_after(load, "dialogs", since) == {(i,) for i in dialogs}
    added = {(i,) for i in changes.recordings_added}
    assert added and written_after(load, "analyses", since) == added
