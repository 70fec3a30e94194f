"""Dagster definitions for docs/scaling-out.md: the shards of meltano.yml, all at once.

Two jobs. `tables_step`: Meltano's system database migrated, then each tap's tables created from
its schemas (the tables step of docs/scaling-out.md), for the first round and after each upgrade.
`scale_out`: every shard of meltano.yml (its inherited extractors) as an op of its own,
`meltano run SHARD target-postgres`, all in parallel; schedule this one. The ops
are dagster-meltano's `meltano_command_op`, not its `meltano_run_op`: that one always adds
`--force`, which lets a second run of a state id start while the first still runs.

    pip install -r examples/dagster/requirements.txt     # in a virtual environment of its own
    export MELTANO_ENVIRONMENT=prod PATH="$PWD/.venv/bin:$PATH"
    dagster job execute -f examples/dagster/definitions.py -j tables_step
    dagster job execute -f examples/dagster/definitions.py -j scale_out

`meltano` is taken from the PATH, the project from MELTANO_PROJECT_ROOT (by default the folder
two levels up), the environment (`prod`, ...) from MELTANO_ENVIRONMENT, as Meltano reads it.
Dagster reads the .env of the folder it is started in into its environment, and every
`meltano` it starts inherits it: started from the project folder, the project's .env counts
twice, once as environment variables (which rank above meltano.yml) and once as Meltano's .env.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from dagster import Definitions, RetryPolicy, job
from dagster_meltano import meltano_command_op, meltano_resource

PROJECT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parents[2])
LOADER = "target-postgres"
EXTRACTORS = yaml.safe_load((PROJECT / "meltano.yml").read_text(encoding="utf-8"))["plugins"][
    "extractors"
]
SHARDS = [entry for entry in EXTRACTORS if "inherit_from" in entry]
# One shard of each tap creates that tap's tables: every shard of a tap has the same schemas.
TABLE_MAKERS = {entry["namespace"]: entry["name"] for entry in reversed(SHARDS)}


def op_name(text: str) -> str:
    return text.replace("-", "_")


upgrade = meltano_command_op("upgrade database", dagster_name="system_database")
# Meltano 4.4 applies meltano.yml's extras (select, schema) to a catalog it has cached, not to
# the one it discovers for a first `invoke --test=schema`: each op caches its shard's catalog
# first.
tables = [
    meltano_command_op(
        f"invoke --dump=catalog {shard} > /dev/null"
        f" && meltano invoke {shard} --test=schema"
        f" | TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA={schema} meltano invoke {LOADER}",
        dagster_name=f"tables_{schema}",
    )
    for schema, shard in sorted(TABLE_MAKERS.items())
]
runs = [
    meltano_command_op(f"run {entry['name']} {LOADER}", dagster_name=op_name(entry["name"]))
    for entry in SHARDS
]


@job(
    resource_defs={"meltano": meltano_resource.configured({"project_dir": str(PROJECT)})},
    tags={"call-analytics/scale-out": "tables"},
)
def tables_step() -> None:
    """Before the first round and after each upgrade of Meltano or the taps
    (docs/scaling-out.md)."""
    ready = upgrade()
    for make in tables:
        make(after=ready)


@job(
    resource_defs={"meltano": meltano_resource.configured({"project_dir": str(PROJECT)})},
    # A retry resumes from the shard's state; Meltano refuses to start a state id whose killed
    # run has not yet missed its heartbeat (5 minutes), hence the delay.
    op_retry_policy=RetryPolicy(max_retries=2, delay=330),
    # dagster.yaml's run queue should hold this tag to one run at a time: never two runs of
    # one shard (one state id) at once.
    tags={"call-analytics/scale-out": "shards"},
)
def scale_out() -> None:
    for run in runs:
        run()


defs = Definitions(jobs=[tables_step, scale_out])
