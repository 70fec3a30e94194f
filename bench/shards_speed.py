"""One job against four shards: wall time of loading the same accounts into Postgres.

`one job` runs tap-twin24 then tap-aiokk into target-postgres, one after the other, as the
`calls-to-postgres` job does; `four shards` runs meltano.yml's two twin24 and two aiokk shards
at once (docs/scaling-out.md), timed apart from its tables step, which is timed too. Both
load from an empty database of their own, with Meltano's system database in Postgres, against
the loopback emulator, which answers as fast as it can: the vendors' rate limits, which shards
share, are not in these figures.

    python -m bench.shards_speed [--calls 20000] [--dialogs 3000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from call_emulator import Emulator
from harness.meltano_project import Accounts, meltano
from harness.shards import finish, shards, split, started, tables_step

SECRETS = {"token": "bench-token", "email": "bench@twin24.example", "password": "bench-pw"}
PARENTS = ("tap-twin24", "tap-aiokk")


def database_env(database: str) -> dict[str, str]:
    return {
        "MELTANO_DATABASE_URI": (
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
            "?options=-csearch_path%3Dmeltano"
        ),
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_PORT": "5432",
        "TARGET_POSTGRES_USER": "postgres",
        "TARGET_POSTGRES_PASSWORD": "unused",
        "TARGET_POSTGRES_DATABASE": database,
    }


def fresh_database(admin: psycopg.Connection) -> str:
    name = f"bench_shards_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as db:
        db.execute("CREATE SCHEMA meltano")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--dialogs", type=int, default=3000)
    args = parser.parse_args()
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True)
    every = [shard for shard in shards() if shard.parent in PARENTS]
    with tempfile.TemporaryDirectory() as folder, Emulator() as emulator:
        work = Path(folder)
        accounts = Accounts.build(
            dialogs=args.dialogs, calls=args.calls, recordings=1,
            call_ids_file=work / "ids.txt", secrets=SECRETS,
        )  # fmt: skip
        accounts.mount(emulator)
        # Each shard's call list comes under its own name; Meltano refuses the parent's as well.
        base = {k: v for k, v in accounts.settings(emulator).items() if "CALL_IDS_FILE" not in k}
        parts = split(accounts, shards(), work)  # the tables step reads alovoice's list too
        figures: dict[str, float] = {}
        for label in ("one job", "four shards"):
            database = fresh_database(admin)
            env = base | parts.settings | database_env(database)
            try:
                meltano("upgrade", "database", env=env)
                start = time.monotonic()
                if label == "one job":
                    for parent in PARENTS:
                        done = meltano(
                            "--environment=demo", "run", parent, "target-postgres", env=env,
                            log=work / f"{parent}.log",
                        )  # fmt: skip
                        assert done.returncode == 0, (work / f"{parent}.log").read_text()[-3000:]
                else:
                    tables_step(env, work)
                    figures["tables step"] = time.monotonic() - start
                    print(f"{'tables step':12} {figures['tables step']:7.1f} s", flush=True)
                    start = time.monotonic()
                    with started(every, env, work, "bench") as runs:
                        codes = finish(runs, timeout=1800)
                    assert set(codes.values()) == {0}, codes
                figures[label] = time.monotonic() - start
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            print(f"{label:12} {figures[label]:7.1f} s", flush=True)
    ratio = figures["one job"] / figures["four shards"]
    overall = figures["one job"] / (figures["four shards"] + figures["tables step"])
    print(
        f"{args.calls} twin24 calls, {args.dialogs} aiokk dialogs: four shards "
        f"{ratio:.2f}x the speed of one job ({overall:.2f}x with the tables step)"
    )


if __name__ == "__main__":
    main()
