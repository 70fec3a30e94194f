"""The Dagster example (examples/dagster): its definitions load, and one shard runs through them.

Dagster and dagster-meltano live in a virtual environment of their own, pinned in
examples/dagster/requirements.txt; `make scale-out` builds it and runs this module (CI does,
through .ci/run). Without it this module skips and says so, unless REQUIRE_DAGSTER is set.
The `dagster job execute` commands of docs/scaling-out.md run the tables step and then twin24's
shard b against the emulator and a Postgres database of their own; the calls of shard b's tasks must
then be in tap_twin24.calls, those of the other shard's tasks not, and aiokk's lists of anything
must be jsonb columns (the tap declares them without `items`).
Dagster runs in a folder of its own: it would read the checkout's .env into its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
import uuid

import psycopg
import pytest

from call_emulator import Emulator
from call_emulator.testing.hermetic import clean_environ, empty_env_file
from harness.meltano_project import MELTANO, PROJECT_ROOT, Accounts
from harness.shards import shards, split
from tests.test_meltano_e2e import POSTGRES, SECRETS, plugins, postgres_connection  # noqa: F401

if t.TYPE_CHECKING:
    from pathlib import Path

# Minutes of Meltano runs: `make scale-out`, which `make test-slow` calls.
pytestmark = pytest.mark.slow

EXAMPLE = PROJECT_ROOT / "examples" / "dagster"
PYTHON = EXAMPLE / ".venv" / "bin" / "python"
SHARD = "tap-twin24-tasks-b"
NAMES = f"""
import json, runpy
definitions = runpy.run_path({str(EXAMPLE / "definitions.py")!r})
job = definitions["defs"].get_job_def("scale_out")
print(json.dumps(sorted(node.name for node in job.graph.node_defs)))
"""
# docs/scaling-out.md's commands: the tables step whole, then the shards' job with one shard
# selected.
JOBS = [
    ["-j", "tables_step"],
    ["-j", "scale_out", "-o", SHARD.replace("-", "_")],
]


@pytest.fixture
def dagster() -> Path:
    if not PYTHON.exists():
        reason = f"no {PYTHON.relative_to(PROJECT_ROOT)}: `make scale-out` builds it"
        if os.environ.get("REQUIRE_DAGSTER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return PYTHON


def test_one_shard_runs_through_the_dagster_job(
    dagster: Path,
    plugins: None,  # noqa: F811, ARG001
    tmp_path: Path,
) -> None:
    admin = postgres_connection()
    database = f"dagster_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(
            host=POSTGRES["host"], user=POSTGRES["user"], dbname=database, autocommit=True
        ) as connection:
            connection.execute("CREATE SCHEMA meltano")
            (output, errors), loaded, types, parts, truth = run_job(
                dagster, database, connection, tmp_path
            )
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
    lines = output.splitlines()
    assert lines[-1] == "exit 0", (output + errors)[-6000:]
    names = json.loads(next(line for line in lines if line.startswith("[")))
    assert set(names) >= {shard.name.replace("-", "_") for shard in shards()}
    mine = {call for call, task in truth.items() if task in parts[SHARD]}
    assert mine and loaded == mine
    assert types == {"criteria": "jsonb", "markers": "jsonb"}


def run_job(
    python: Path, database: str, connection: t.Any, tmp_path: Path
) -> tuple[tuple[str, str], set[str], dict[str, str], dict[str, list[t.Any]], dict[str, str]]:
    accounts = Accounts.build(
        dialogs=5, calls=150, recordings=2, call_ids_file=tmp_path / "ids.txt", secrets=SECRETS
    )
    every = shards()
    parts = split(accounts, every, tmp_path)
    shim = tmp_path / "bin" / "meltano"  # meltano from the PATH, reading no project .env
    shim.parent.mkdir()
    with Emulator() as emulator, empty_env_file() as dotenv:
        shim.write_text(f'#!/bin/sh\nexec {MELTANO} --env-file={dotenv} "$@"\n')
        shim.chmod(0o755)
        accounts.mount(emulator)
        env = clean_environ(
            {
                **{k: v for k, v in accounts.settings(emulator).items() if "IDS_FILE" not in k},
                **parts.settings,
                "PATH": f"{shim.parent}:{os.environ['PATH']}",
                "DAGSTER_HOME": str(tmp_path),
                "MELTANO_ENVIRONMENT": "demo",
                "MELTANO_PROJECT_ROOT": str(PROJECT_ROOT),
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "MELTANO_DATABASE_URI": (
                    f"postgresql+psycopg://{POSTGRES['user']}@{POSTGRES['host']}:"
                    f"{POSTGRES['port']}/{database}?options=-csearch_path%3Dmeltano"
                ),
                "TARGET_POSTGRES_HOST": POSTGRES["host"],
                "TARGET_POSTGRES_PORT": POSTGRES["port"],
                "TARGET_POSTGRES_USER": POSTGRES["user"],
                "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
                "TARGET_POSTGRES_DATABASE": database,
            }
        )
        names = subprocess.run(
            [str(python), "-c", NAMES], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        dagster = [str(python.with_name("dagster")), "job", "execute"]
        dagster += ["-f", str(EXAMPLE / "definitions.py")]
        for job in JOBS:
            done = subprocess.run(
                [*dagster, *job], cwd=tmp_path, env=env, capture_output=True, text=True,
                timeout=600, check=False,
            )  # fmt: skip
            if done.returncode:
                break
        truth = {call: str(item.get("taskId")) for call, item in accounts.twin24.truth().items()}
    rows = connection.execute('SELECT "id" FROM tap_twin24.calls').fetchall()
    types = connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'tap_aiokk' AND table_name = 'dialogs'"
        " AND column_name IN ('criteria', 'markers')"
    ).fetchall()
    output = f"{names.stdout}{done.stdout}\nexit {done.returncode}\n"
    loaded = {row[0] for row in rows}
    return (output, names.stderr + done.stderr), loaded, dict(types), parts.parts, truth
