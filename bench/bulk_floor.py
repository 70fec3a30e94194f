"""The floor of a load: the same rows bulk-loaded by hand, with no Singer target in between.

DuckDB reads each stream's rows with ``read_json``; Postgres takes them through psycopg's
``COPY``, into tables shaped like the ones target-postgres made. Neither upserts, validates or
adds metadata: this is the least work any loader must do, not a loader.
"""

from __future__ import annotations

import json
import time
import typing as t

import duckdb
from psycopg import sql
from psycopg.types.json import Jsonb

if t.TYPE_CHECKING:
    from pathlib import Path

    import psycopg


def split_records(singer_output: Path, folder: Path) -> dict[str, Path]:
    """Each stream's RECORD payloads as a JSON-lines file of its own (not timed)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, t.IO[str]] = {}
    try:
        with singer_output.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.startswith('{"type":"RECORD"'):
                    continue
                message = json.loads(line)
                stream = message["stream"]
                if stream not in files:
                    files[stream] = (folder / f"{stream}.jsonl").open("w", encoding="utf-8")
                files[stream].write(json.dumps(message["record"], ensure_ascii=False) + "\n")
    finally:
        for handle in files.values():
            handle.close()
    return {stream: folder / f"{stream}.jsonl" for stream in files}


def duckdb_floor(files: dict[str, Path], database: Path) -> tuple[float, int]:
    """Seconds and rows of loading every stream's file into a new DuckDB database."""
    started = time.monotonic()
    rows = 0
    with duckdb.connect(str(database)) as connection:
        for stream, path in files.items():
            connection.execute(
                f'CREATE TABLE "{stream}" AS SELECT * FROM '
                f"read_json('{path}', format = 'newline_delimited', sample_size = -1)"
            )
            found = connection.execute(f'SELECT count(*) FROM "{stream}"').fetchone()
            rows += int(found[0]) if found else 0
    return time.monotonic() - started, rows


def postgres_floor(
    connection: psycopg.Connection[t.Any], files: dict[str, Path], like: str, schema: str
) -> tuple[float, int]:
    """Seconds and rows of COPYing every stream's rows into tables like those in ``like``."""
    connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    plans = []
    for stream, path in files.items():
        table = sql.Identifier(schema, stream)
        connection.execute(
            sql.SQL("CREATE TABLE {} (LIKE {})").format(table, sql.Identifier(like, stream))
        )
        found = connection.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (like, stream),
        ).fetchall()
        plans.append((table, dict(found), path))
    started = time.monotonic()
    rows = 0
    for table, types, path in plans:
        with path.open(encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines]
        columns = sorted({name for record in records for name in record} & set(types))
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            table, sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        jsonb = {name for name in columns if types[name] in ("json", "jsonb")}
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for record in records:
                values = [record.get(name) for name in columns]
                copy.write_row(
                    [
                        Jsonb(value) if name in jsonb and value is not None else value
                        for name, value in zip(columns, values, strict=True)
                    ]
                )
        rows += len(records)
    return time.monotonic() - started, rows
