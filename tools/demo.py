"""`make demo`: the three taps load DuckDB through `meltano run`, with no vendor account.

1. installs the taps and target-duckdb into .meltano/ (the first time only);
2. serves an aiokk account of thousands of dialogs, a twin24 account of thousands of calls and
   hundreds of alovoice recordings on http://127.0.0.1:8765 (the `demo` environment's URLs);
3. runs the three taps into output/warehouse.duckdb, then builds and tests the call model
   (transform/, with dbt-duckdb), and prints the rows of every table;
4. changes some records, as a day would, runs again and prints what the incremental run wrote;
5. prints a few lines from the model's marts: calls and quality per vendor and day, and the
   operators with the lowest grades;
6. stops the emulator.

Every demo starts afresh: it replaces the DuckDB file and keeps its Meltano state in
output/demo-meltano.db, so the second run of a demo is incremental and a new demo is not.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from call_emulator import Emulator
from harness.meltano_project import PROJECT_ROOT, TAPS, Accounts, Changes, install, run_all

PORT = 8765
"""The demo environment's port in meltano.yml, which `make demo` serves."""
# The emulator's own values, not secrets; the demo passes them (and the URLs) to Meltano as
# environment variables. Meltano sees none of yours, nor the checkout's .env
# (call_emulator.testing.hermetic).
DEMO_SECRETS = {"token": "demo-token", "email": "demo@twin24.example", "password": "demo-password"}
FULL_TABLE = {"tap_twin24.tasks"}
"""Streams a run sends whole each time: every row is rewritten, changed or not."""
Counts = dict[str, tuple[int, int]]


def say(text: str) -> None:
    print(text, flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def table_counts(warehouse: Path, since: datetime | None) -> Counts:
    """Rows per table, and how many of them were written after `since` (all when None)."""
    counts: Counts = {}
    with duckdb.connect(str(warehouse), read_only=True) as db:
        tables = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'tap_%' ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            total, written = db.execute(
                f"SELECT count(*), count(*) FILTER (WHERE _sdc_batched_at > ?) FROM {name}",
                [since or datetime.min],  # noqa: DTZ901 (DuckDB's naive _sdc columns)
            ).fetchone() or (0, 0)
            counts[f"{schema}.{table}"] = (total, written)
    return counts


def last_write(warehouse: Path) -> datetime:
    """The newest _sdc_batched_at in the warehouse: the end of the run before."""
    with duckdb.connect(str(warehouse), read_only=True) as db:
        parts = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'tap_%'"
        ).fetchall()
        query = " UNION ALL ".join(
            f'SELECT max(_sdc_batched_at) AS at FROM "{s}"."{t}"' for s, t in parts
        )
        row = db.execute(f"SELECT max(at) FROM ({query})").fetchone()
    return row[0] if row and row[0] else datetime.min  # noqa: DTZ901 (naive, as the column)


def print_counts(title: str, counts: Counts) -> None:
    width = max(len(name) for name in counts)
    say(f"\n{title}")
    say(f"  {'table'.ljust(width)}  {'rows':>7}  {'written by this run':>19}")
    for name, (total, written) in counts.items():
        note = "  (full table: sent whole each run)" if name in FULL_TABLE else ""
        say(f"  {name.ljust(width)}  {total:>7}  {written:>19}{note}")


def written_keys(warehouse: Path, table: str, key: str, since: datetime) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        rows = db.execute(f"SELECT {key} FROM {table} WHERE _sdc_batched_at > ?", [since])
        return {str(value) for (value,) in rows.fetchall()}


def check(warehouse: Path, first: Counts, changes: Changes, since: datetime) -> list[str]:
    """What would make the demo a lie: an empty table, or a second run that wrote other rows
    than the ones the emulator changed."""
    problems = [f"{name} is empty" for name, (total, _) in first.items() if not total]
    expected: dict[tuple[str, str], set[str]] = {
        ("tap_aiokk.dialogs", "dialog_id"): {
            str(i) for i in changes.dialogs_finished + changes.dialogs_reanalysed
        },
        ("tap_twin24.calls", "id"): set(changes.calls_updated),
        ("tap_alovoice.analyses", "call_id"): set(changes.recordings_added),
    }
    for (table, key), ids in expected.items():
        written = written_keys(warehouse, table, key, since)
        if written != ids:
            problems.append(f"run 2 wrote {len(written)} rows of {table}, {len(ids)} changed")
    return problems


PER_VENDOR_AND_DAY = """
WITH per_call AS (
    SELECT calls.vendor, CAST(calls.started_at AS DATE) AS day, calls.call_key,
           avg(quality.score) AS score,
           sum(CASE WHEN quality.measure = 'rule' THEN quality.value END) AS rules_matched
    FROM call_model.calls
    LEFT JOIN call_model.call_quality AS quality ON quality.call_key = calls.call_key
    WHERE calls.started_at IS NOT NULL
    GROUP BY 1, 2, 3
), per_day AS (
    SELECT vendor, day, count(*) AS calls, avg(score) AS score,
           avg(rules_matched) AS rules_matched,
           row_number() OVER (PARTITION BY vendor ORDER BY day DESC) AS newest
    FROM per_call
    GROUP BY 1, 2
)
SELECT vendor, day, calls, score, rules_matched FROM per_day WHERE newest <= 3 ORDER BY 1, 2
"""
"""Calls per vendor and day (each vendor's three latest days), with the average score (0 to 1)
of their scored measures and, for alovoice, the rules matched per call."""

LOWEST_GRADES = """
SELECT calls.operator_name, calls.department_name, count(*) AS calls,
       avg(quality.value) AS grade, avg(quality.max_value) AS out_of, avg(quality.score) AS score
FROM call_model.calls
JOIN call_model.call_quality AS quality
  ON quality.call_key = calls.call_key AND quality.measure = 'overall_grade'
GROUP BY 1, 2
ORDER BY score, calls.operator_name
LIMIT 5
"""
"""The five operators whose calls have the lowest average overall grade (aiokk)."""


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_marts(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        per_day = db.execute(PER_VENDOR_AND_DAY).fetchall()
        lowest = db.execute(LOWEST_GRADES).fetchall()
    say("\nThe call model (schema call_model): calls and quality per vendor and day")
    say(f"  {'vendor':<9} {'day':<10}  {'calls':>5}  {'avg score':>9}  {'rules matched/call':>18}")
    for vendor, day, calls, score, rules in per_day:
        say(f"  {vendor:<9} {day!s:<10}  {calls:>5}  {number(score):>9}  {number(rules):>18}")
    say("\nThe operators with the lowest grades (aiokk's overall grade)")
    say(f"  {'operator':<36} {'department':<18} {'calls':>5}  {'grade':>11}  {'score':>5}")
    for operator, department, calls, grade, out_of, score in lowest:
        graded = f"{number(grade, 1)}/{number(out_of, 0)}"
        say(
            f"  {operator:<36} {department or '-':<18} {calls:>5}  {graded:>11}  {number(score):>5}"
        )


MART_SOURCES = {
    "aiokk": "tap_aiokk.dialogs",
    "twin24": "tap_twin24.calls",
    "alovoice": "tap_alovoice.analyses",
}
"""The table that holds one row per call of each vendor, as loaded."""


def check_marts(warehouse: Path) -> list[str]:
    """What would make the model's printout a lie: a mart without a vendor's calls."""
    problems = []
    with duckdb.connect(str(warehouse), read_only=True) as db:
        for vendor, table in MART_SOURCES.items():
            (loaded,) = db.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
            (modelled,) = db.execute(
                "SELECT count(*) FROM call_model.calls WHERE vendor = ?", [vendor]
            ).fetchone() or (0,)
            if not loaded or modelled != loaded:
                problems.append(f"call_model.calls has {modelled} {vendor} calls, {loaded} loaded")
        (lines,) = db.execute(
            "SELECT count(*) FROM call_model.call_transcript_lines"
        ).fetchone() or (0,)
        (measures,) = db.execute("SELECT count(*) FROM call_model.call_quality").fetchone() or (0,)
    problems += [
        f"call_model.{name} is empty"
        for name, n in (("call_transcript_lines", lines), ("call_quality", measures))
        if not n
    ]
    return problems


def load(number: int, env: dict[str, str], output: Path) -> None:
    log = output / f"demo-run-{number}.log"
    say(
        f"\nRun {number}: meltano run tap-X target-duckdb for the three taps, then "
        f"dbt-duckdb:build (log: {log}) ..."
    )
    started = time.monotonic()
    result = run_all("target-duckdb", env, log, then=["dbt-duckdb:build"])
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8").splitlines()[-15:]
        raise SystemExit(f"meltano run failed (exit {result.returncode}):\n" + "\n".join(tail))
    say(f"Run {number} done in {time.monotonic() - started:.0f} s.")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=PORT, help="0 picks a free port")
    parser.add_argument("--dialogs", type=int, default=3000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--recordings", type=int, default=300)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    output: Path = args.output.resolve()
    warehouse, system_db = output / "warehouse.duckdb", output / "demo-meltano.db"
    if args.port and not port_is_free(args.port):
        say(f"Port {args.port} is in use; the demo's emulator needs it. Free it and retry.")
        return 1
    output.mkdir(parents=True, exist_ok=True)
    for path in (warehouse, system_db, output / "warehouse.duckdb.wal"):
        path.unlink(missing_ok=True)
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{system_db}",
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "DBT_DUCKDB_PATH": str(warehouse),
    }
    say(
        "Installing the taps, target-duckdb and dbt-duckdb into .meltano/ "
        "(the first time takes a minute) ..."
    )
    installed = install(*TAPS, "target-duckdb", "dbt-duckdb", env=env)
    if installed.returncode != 0:
        say(installed.stdout[-3000:] + installed.stderr[-3000:])
        return 1
    say(
        f"Starting the emulator: {args.dialogs:,} aiokk dialogs, {args.calls:,} twin24 calls, "
        f"{args.recordings:,} alovoice recordings ..."
    )
    accounts = Accounts.build(
        dialogs=args.dialogs,
        calls=args.calls,
        recordings=args.recordings,
        call_ids_file=output / "alovoice_call_ids.txt",
        secrets=DEMO_SECRETS,
        analysis_seconds=2.0,
    )
    with Emulator(args.port) as emulator:
        accounts.mount(emulator)
        env |= accounts.settings(emulator)
        say(f"Emulator on {emulator.url}.")
        load(1, env, output)
        first = table_counts(warehouse, None)
        print_counts(f"Loaded by run 1 ({warehouse}):", first)
        before = last_write(warehouse)
        changes = accounts.change()
        say(f"\nChanged in the emulator since: {changes.describe()}.")
        load(2, env, output)
        print_counts(
            "After run 2, incremental: only what changed was written",
            table_counts(warehouse, before),
        )
    say("\nEmulator stopped.")
    print_marts(warehouse)
    problems = check(warehouse, first, changes, before) + check_marts(warehouse)
    if problems:
        say("The demo did not load what it should: " + "; ".join(problems))
        return 1
    say(f"The data: {warehouse}, for any DuckDB client.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
