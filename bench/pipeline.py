"""`meltano run` of each tap into target-duckdb and target-postgres, against the tap alone.

Run with ``make bench-pipeline`` (``python -m bench.pipeline --help`` for the knobs). Each tap
reads a large emulated account (twin24 200,000 calls, aiokk 100,000 dialogs, alovoice 5,000
calls) with its default settings and the loaders' settings from meltano.yml; only the hosts,
the credentials and a fixed time range come from the environment. For each pipeline it prints
the rows loaded (and any lost against what the tap emitted), the wall time, rows per second,
the tap alone (``meltano invoke``, output to /dev/null), the loader alone (``meltano invoke`` of
the loader, reading the tap's recorded output: the least any run into it can take), a bulk-load
floor for the same rows (DuckDB ``read_json``, psycopg ``COPY``, see ``bulk_floor``), the
ratios, and the peak RSS of the tap and the loader (``process_peaks``). Targets: into DuckDB
within 2x the tap alone, into Postgres within 2.5x.

The emulator must not be what is measured: twin24's pages and aiokk's exports are rendered
once, by an untimed first run of the tap (which also gives the floors their rows), and then
served from memory. alovoice's answers depend on time (pending, then done), so each of its runs
gets a fresh account, whose analyses take ``--alovoice-delay`` seconds.

It first runs `meltano install` (the loaders pinned in meltano.yml, into .meltano/).
Postgres (127.0.0.1:5432, user postgres, database test, or ``--postgres``) gets schemas of
unique names, dropped at the end. Meltano's state goes to a temporary database and every run is
``--full-refresh``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import tempfile
import time
import typing as t
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from bench.bulk_floor import duckdb_floor, postgres_floor, split_records
from bench.process_peaks import PeakWatch
from call_emulator import AIOKK_PREFIX, ALOVOICE_PREFIX, AiokkAccount, AlovoiceAccount, Emulator
from call_emulator.testing.hermetic import clean_environ, empty_env_file
from call_emulator.twin24 import Twin24Account
from harness.meltano_project import MELTANO, PROJECT_ROOT, meltano

if t.TYPE_CHECKING:
    from call_emulator import Request, Response, Vendor

TOKEN = "bench-token"
EMAIL, PASSWORD = "bench@twin24.example", "bench-password"
LOADERS = ("target-duckdb", "target-postgres")
TARGETS = {"target-duckdb": 2.0, "target-postgres": 2.5}


class Rendered:
    """A vendor whose successful answers are kept, and served again from memory.

    Keyed by method, path, query and body; the first answer to each request is the vendor's
    own (authentication included), a repeat is the same bytes without the work of rendering.
    """

    def __init__(self, vendor: Vendor) -> None:
        self.vendor = vendor
        self.kept: dict[tuple[str, str, str, bytes], Response] = {}

    def handle(self, request: Request) -> Response:
        query = json.dumps(request.query, sort_keys=True)
        key = (request.method, request.path, query, request.body)
        kept = self.kept.get(key)
        if kept is not None:
            return kept
        response = self.vendor.handle(request)
        if response.status == 200:
            body = response.body if isinstance(response.body, bytes) else b"".join(response.body)
            response.body = body
            self.kept[key] = response
        return response


@dataclass
class Source:
    """One tap's emulated account, served, and the environment that points the tap at it."""

    tap: str
    env: dict[str, str]
    fresh: t.Callable[[], None] = lambda: None
    """Called before each run: alovoice's account starts again, nothing submitted."""


def twin24_source(emulator: Emulator, calls: int) -> Source:
    account = Twin24Account(calls=calls, seed=1, email=EMAIL, password=PASSWORD)
    emulator.mount("/twin24/iam", account.iam)
    emulator.mount("/twin24/analyse", Rendered(account.analyse))
    emulator.mount("/twin24/cis", account.cis)
    return Source(
        "tap-twin24",
        {
            "TAP_TWIN24_AUTH_URL": emulator.url_for("/twin24/iam"),
            "TAP_TWIN24_API_URL": emulator.url_for("/twin24/analyse"),
            "TAP_TWIN24_TASKS_URL": emulator.url_for("/twin24/cis"),
            "TAP_TWIN24_EMAIL": EMAIL,
            "TAP_TWIN24_PASSWORD": PASSWORD,
            "TAP_TWIN24_START_DATE": account.first_moment().isoformat(),
            "TAP_TWIN24_END_DATE": account.end_moment().isoformat(),
        },
    )


def aiokk_source(emulator: Emulator, dialogs: int) -> Source:
    emulator.mount(AIOKK_PREFIX, Rendered(AiokkAccount(dialogs, 1, TOKEN)))
    return Source(
        "tap-aiokk", {"TAP_AIOKK_API_URL": emulator.url_for(AIOKK_PREFIX), "TAP_AIOKK_TOKEN": TOKEN}
    )


def alovoice_source(emulator: Emulator, calls: int, delay: float, folder: Path) -> Source:
    call_ids = folder / "alovoice_call_ids.txt"

    def fresh() -> None:
        account = AlovoiceAccount(calls, TOKEN, delay_seconds=delay, seed=1)
        call_ids.write_text("\n".join(account.call_ids()) + "\n")
        emulator.mount(ALOVOICE_PREFIX, account)

    fresh()
    env = {
        "TAP_ALOVOICE_API_URL": emulator.url_for(ALOVOICE_PREFIX),
        "TAP_ALOVOICE_TOKEN": TOKEN,
        "TAP_ALOVOICE_CALL_IDS_FILE": str(call_ids),
    }
    return Source("tap-alovoice", env, fresh)


@dataclass
class Timed:
    seconds: float
    peaks_mb: dict[str, float]
    cpu_seconds: dict[str, float]


def meltano_timed(
    args: list[str], env: dict[str, str], out: Path | None, log: Path, given: Path | None = None
) -> Timed:
    """Run `meltano ARGS` in the project; its stdout to ``out`` (or /dev/null), its stdin from
    ``given`` (or nothing)."""
    names = tuple(word for word in args if word.startswith(("tap-", "target-")))
    with contextlib.ExitStack() as stack:
        dotenv = stack.enter_context(empty_env_file())
        stdout = stack.enter_context(out.open("wb")) if out else subprocess.DEVNULL
        stdin = stack.enter_context(given.open("rb")) if given else subprocess.DEVNULL
        stderr = stack.enter_context(log.open("wb"))
        started = time.monotonic()
        process = subprocess.Popen(
            [str(MELTANO), f"--env-file={dotenv}", *args],
            cwd=PROJECT_ROOT,
            env=clean_environ(env),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
        )
        with PeakWatch(process.pid, names) as watch:
            code = process.wait()
        seconds = time.monotonic() - started
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"meltano {' '.join(args)} failed (exit {code}):\n{tail}")
    return Timed(seconds, {name: watch.peak_mb(name) for name in names}, watch.cpu_seconds)


def loader_alone(loader: str, tap: str, env: dict[str, str], output: Path, work: Path) -> Timed:
    """The loader reading the tap's recorded output, with no tap running: the least any run
    into it can take, however fast the tap (``meltano invoke``, the loader's meltano.yml
    settings; the tap's namespace still names the schema)."""
    namespace = {"MELTANO_EXTRACTOR_NAMESPACE": tap.replace("-", "_")}
    return meltano_timed(
        ["invoke", loader], env | namespace, None, work / f"{loader}-alone.log", output
    )


@dataclass
class Emitted:
    """What the tap emitted: rows per stream, distinct keys per stream, SCHEMA messages."""

    records: Counter[str] = field(default_factory=Counter)
    keys: dict[str, int] = field(default_factory=dict)
    schemas: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, path: Path) -> Emitted:
        emitted = cls()
        key_names: dict[str, list[str]] = {}
        seen: dict[str, set[tuple[t.Any, ...]]] = {}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                message = json.loads(line)
                stream = message.get("stream")
                if message["type"] == "SCHEMA":
                    emitted.schemas[stream] += 1
                    key_names[stream] = message["key_properties"]
                    seen.setdefault(stream, set())
                elif message["type"] == "RECORD":
                    emitted.records[stream] += 1
                    record = message["record"]
                    seen[stream].add(tuple(record.get(name) for name in key_names[stream]))
        emitted.keys = {stream: len(keys) for stream, keys in seen.items()}
        return emitted


def duckdb_rows(path: Path, schema: str) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        ).fetchall()
        return {
            name: int(connection.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])  # type: ignore[index]
            for (name,) in tables
        }


def postgres_rows(connection: psycopg.Connection[t.Any], schema: str) -> dict[str, int]:
    tables = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    counts = {}
    for (name,) in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
        counts[name] = int(connection.execute(query).fetchone()[0])  # type: ignore[index]
    return counts


@dataclass
class Row:
    """One line of the table: a tap into a loader."""

    tap: str
    loader: str
    rows: int
    lost: int
    seconds: float
    tap_seconds: float
    floor_seconds: float
    tap_peak_mb: float
    loader_peak_mb: float
    tap_cpu: float
    loader_cpu: float
    schemas: int
    loader_alone_seconds: float

    def cells(self) -> list[str]:
        ratio = self.seconds / self.tap_seconds
        target = TARGETS[self.loader]
        return [
            self.tap,
            self.loader,
            f"{self.rows:,}",
            str(self.lost),
            f"{self.seconds:.1f}",
            f"{self.rows / self.seconds:,.0f}",
            f"{self.tap_seconds:.1f}",
            f"{ratio:.2f} ({'ok' if ratio <= target else f'target {target}'})",
            f"{self.loader_alone_seconds:.1f}",
            f"{self.loader_alone_seconds / self.tap_seconds:.2f}",
            f"{self.floor_seconds:.1f}",
            f"{self.floor_seconds / self.tap_seconds:.2f}",
            f"{self.tap_peak_mb:.0f}",
            f"{self.loader_peak_mb:.0f}",
            f"{self.tap_cpu:.0f} / {self.loader_cpu:.0f}",
            str(self.schemas),
        ]


HEADER = [
    "tap",
    "loader",
    "rows",
    "lost",
    "wall s",
    "rows/s",
    "tap alone s",
    "wall / tap",
    "loader alone s",
    "loader alone / tap",
    "floor s",
    "floor / tap",
    "tap MB",
    "loader MB",
    "CPU s tap / loader",
    "SCHEMA msgs",
]


class Bench:
    def __init__(self, options: argparse.Namespace, folder: Path) -> None:
        self.options, self.folder = options, folder
        self.base_env = {"MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}"}
        for setting in options.setting:
            name, _, value = setting.partition("=")
            self.base_env[name] = value
        self.pg = options.postgres
        self.rows: list[Row] = []

    def run(self, source: Source) -> None:
        tap, work = source.tap, self.folder / source.tap
        work.mkdir()
        env = self.base_env | source.env
        output = work / "tap.jsonl"
        cold = meltano_timed(["invoke", tap], env, output, work / "first.log")
        emitted = Emitted.read(output)
        print(
            f"{tap}: first run (renders the emulator's pages, untimed) {cold.seconds:.1f} s; "
            f"records {dict(emitted.records)}; SCHEMA messages {dict(emitted.schemas)}",
            flush=True,
        )
        files = split_records(output, work / "streams")
        source.fresh()
        alone = meltano_timed(["invoke", tap], env, None, work / "alone.log")
        print(
            f"{tap}: alone {alone.seconds:.1f} s, {alone.cpu_seconds[tap]:.0f} s CPU, "
            f"peak {alone.peaks_mb[tap]:.0f} MB",
            flush=True,
        )
        keys = sum(emitted.keys.values())
        schemas = sum(emitted.schemas.values())
        for loader in self.options.loaders:
            source.fresh()
            if loader == "target-duckdb":
                row = self._duckdb(tap, env, files, work, output)
            else:
                row = self._postgres(tap, env, files, work, output)
            loaded, floor_seconds, timed, loader_alone = row
            result = Row(
                tap,
                loader,
                sum(loaded.values()),
                max(0, keys - sum(loaded.values())),
                timed.seconds,
                alone.seconds,
                floor_seconds,
                timed.peaks_mb[tap],
                timed.peaks_mb[loader],
                timed.cpu_seconds[tap],
                timed.cpu_seconds[loader],
                schemas,
                loader_alone.seconds,
            )
            self.rows.append(result)
            print(" | ".join(f"{h}: {c}" for h, c in zip(HEADER, result.cells(), strict=True)))

    def _duckdb(
        self, tap: str, env: dict[str, str], files: dict[str, Path], work: Path, output: Path
    ) -> tuple[dict[str, int], float, Timed, Timed]:
        floor_seconds, _ = duckdb_floor(files, work / "floor.duckdb")
        database = work / "warehouse.duckdb"
        args = ["run", "--full-refresh", tap, "target-duckdb"]
        run_env = env | {"TARGET_DUCKDB_FILEPATH": str(database)}
        timed = meltano_timed(args, run_env, None, work / "duckdb.log")
        alone_env = env | {"TARGET_DUCKDB_FILEPATH": str(work / "loader-alone.duckdb")}
        alone = loader_alone("target-duckdb", tap, alone_env, output, work)
        return duckdb_rows(database, tap.replace("-", "_")), floor_seconds, timed, alone

    def _postgres(
        self, tap: str, env: dict[str, str], files: dict[str, Path], work: Path, output: Path
    ) -> tuple[dict[str, int], float, Timed, Timed]:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        host, port, user, database = self.pg
        env = env | {
            "TARGET_POSTGRES_HOST": host,
            "TARGET_POSTGRES_PORT": port,
            "TARGET_POSTGRES_USER": user,
            "TARGET_POSTGRES_PASSWORD": "bench-unused",  # trust auth; the loader wants one
            "TARGET_POSTGRES_DATABASE": database,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }
        with psycopg.connect(
            host=host, port=int(port), user=user, dbname=database, autocommit=True
        ) as connection:
            try:
                args = ["run", "--full-refresh", tap, "target-postgres"]
                timed = meltano_timed(args, env, None, work / "postgres.log")
                loaded = postgres_rows(connection, schema)
                floor_seconds, _ = postgres_floor(connection, files, schema, f"{schema}_floor")
                alone_env = env | {"TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": f"{schema}_alone"}
                alone = loader_alone("target-postgres", tap, alone_env, output, work)
            finally:
                for name in (schema, f"{schema}_floor", f"{schema}_alone"):
                    drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                    connection.execute(drop)
        return loaded, floor_seconds, timed, alone

    def table(self) -> str:
        lines = [
            "| " + " | ".join(HEADER) + " |",
            "|" + "---|" * len(HEADER),
            *("| " + " | ".join(row.cells()) + " |" for row in self.rows),
        ]
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", nargs="+", default=["tap-twin24", "tap-aiokk", "tap-alovoice"])
    parser.add_argument("--loaders", nargs="+", default=list(LOADERS), choices=LOADERS)
    parser.add_argument("--twin24-calls", type=int, default=200_000)
    parser.add_argument("--aiokk-dialogs", type=int, default=100_000)
    parser.add_argument("--alovoice-calls", type=int, default=5_000)
    parser.add_argument(
        "--alovoice-delay", type=float, default=10.0, help="seconds an analysis takes"
    )
    parser.add_argument(
        "--postgres",
        nargs=4,
        default=["127.0.0.1", "5432", "postgres", "test"],
        metavar=("HOST", "PORT", "USER", "DATABASE"),
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for Meltano, e.g. TARGET_POSTGRES_USE_COPY=false",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and files; print where")
    options = parser.parse_args()

    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(Emulator())
        if options.keep:
            folder = tempfile.mkdtemp(prefix="bench-pipeline-")
            print(f"logs and files in {folder}")
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pipeline-"))
        bench = Bench(options, Path(folder))
        installed = meltano("install", env=bench.base_env, timeout=1800)
        if installed.returncode != 0:
            raise SystemExit(f"meltano install failed:\n{installed.stderr[-3000:]}")
        built = time.monotonic()
        sources = {
            "tap-twin24": lambda: twin24_source(emulator, options.twin24_calls),
            "tap-aiokk": lambda: aiokk_source(emulator, options.aiokk_dialogs),
            "tap-alovoice": lambda: alovoice_source(
                emulator, options.alovoice_calls, options.alovoice_delay, Path(folder)
            ),
        }
        for tap in options.taps:
            built = time.monotonic()
            source = sources[tap]()
            print(f"{tap}: account built in {time.monotonic() - built:.1f} s", flush=True)
            bench.run(source)
        print()
        print(
            f"twin24 {options.twin24_calls:,} calls, aiokk {options.aiokk_dialogs:,} dialogs, "
            f"alovoice {options.alovoice_calls:,} calls (analysis {options.alovoice_delay:g} s); "
            f"settings: {' '.join(options.setting) or 'meltano.yml'}"
        )
        print(bench.table())


if __name__ == "__main__":
    main()
