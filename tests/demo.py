"""`make demo`: the three taps load DuckDB through `meltano run`, with no vendor account.

1. installs the project's Meltano plugins (the first time only);
2. serves an aiokk account of thousands of dialogs, a twin24 account of thousands of calls and
   hundreds of alovoice recordings on http://127.0.0.1:8765 (the `demo` environment's URLs);
3. runs the three taps into output/warehouse.duckdb and prints the rows of every table;
4. changes some records, as a day would, runs again and prints what the incremental run wrote;
5. stops the emulator.

Every demo starts afresh: it replaces the DuckDB file and keeps its Meltano state in
output/demo-meltano.db, so the second run of a demo is incremental and a new demo is not.
"""

from __future__ import annotations

import socket
import sys
import time
from datetime import datetime

import duckdb

from tests.emulator import Emulator
from tests.meltano_project import PROJECT_ROOT, Accounts, meltano, run_all

PORT = 8765
OUTPUT = PROJECT_ROOT / "output"
WAREHOUSE = OUTPUT / "warehouse.duckdb"
SYSTEM_DB = OUTPUT / "demo-meltano.db"
# The demo environment's values in meltano.yml: the emulator's, not secrets.
DEMO_SECRETS = {"token": "demo-token", "email": "demo@twin24.example", "password": "demo-password"}
Counts = dict[str, tuple[int, int]]


def say(text: str) -> None:
    print(text, flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def table_counts(since: datetime | None) -> Counts:
    """Rows per table, and how many of them were written after `since` (all when None)."""
    counts: Counts = {}
    with duckdb.connect(str(WAREHOUSE), read_only=True) as db:
        tables = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'tap_%' ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            total, written = db.execute(
                f"SELECT count(*), count(*) FILTER (WHERE _sdc_batched_at > ?) FROM {name}",
                [since or datetime.min],
            ).fetchone() or (0, 0)
            counts[f"{schema}.{table}"] = (total, written)
    return counts


def last_write() -> datetime:
    """The newest _sdc_batched_at in the warehouse: the end of the run before."""
    with duckdb.connect(str(WAREHOUSE), read_only=True) as db:
        parts = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'tap_%'"
        ).fetchall()
        query = " UNION ALL ".join(
            f'SELECT max(_sdc_batched_at) AS at FROM "{s}"."{t}"' for s, t in parts
        )
        row = db.execute(f"SELECT max(at) FROM ({query})").fetchone()
    return row[0] if row and row[0] else datetime.min


def print_counts(title: str, counts: Counts) -> None:
    width = max(len(name) for name in counts)
    say(f"\n{title}")
    say(f"  {'table'.ljust(width)}  {'rows':>7}  {'written by this run':>19}")
    for name, (total, written) in counts.items():
        say(f"  {name.ljust(width)}  {total:>7}  {written:>19}")


def load(number: int) -> None:
    log = OUTPUT / f"demo-run-{number}.log"
    say(f"\nRun {number}: meltano run tap-X target-duckdb for the three taps (log: {log}) ...")
    started = time.monotonic()
    result = run_all("target-duckdb", {"MELTANO_DATABASE_URI": f"sqlite:///{SYSTEM_DB}"}, log)
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8").splitlines()[-15:]
        raise SystemExit(f"meltano run failed (exit {result.returncode}):\n" + "\n".join(tail))
    say(f"Run {number} done in {time.monotonic() - started:.0f} s.")


def main() -> int:
    if not port_is_free(PORT):
        say(f"Port {PORT} is in use; the demo environment's emulator needs it. Free it and retry.")
        return 1
    OUTPUT.mkdir(exist_ok=True)
    for path in (WAREHOUSE, SYSTEM_DB, OUTPUT / "warehouse.duckdb.wal"):
        path.unlink(missing_ok=True)
    say("Installing Meltano's plugins into .meltano/ (the first time takes a minute or two) ...")
    installed = meltano("install", env={"MELTANO_DATABASE_URI": f"sqlite:///{SYSTEM_DB}"})
    if installed.returncode != 0:
        say(installed.stdout[-3000:] + installed.stderr[-3000:])
        return 1
    say("Starting the emulator: 3,000 aiokk dialogs, 3,000 twin24 calls, 300 alovoice calls ...")
    accounts = Accounts.build(
        dialogs=3000,
        calls=3000,
        recordings=300,
        call_ids_file=OUTPUT / "alovoice_call_ids.txt",
        secrets=DEMO_SECRETS,
        analysis_seconds=2.0,
    )
    with Emulator(PORT) as emulator:
        accounts.mount(emulator)
        say(f"Emulator on {emulator.url}.")
        load(1)
        print_counts("Loaded by run 1 (output/warehouse.duckdb):", table_counts(None))
        before = last_write()
        changes = accounts.change()
        say(f"\nChanged in the emulator since: {changes.describe()}.")
        load(2)
        print_counts(
            "After run 2, incremental: only what changed was written", table_counts(before)
        )
    say("\nEmulator stopped. The data: output/warehouse.duckdb, for any DuckDB client.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
