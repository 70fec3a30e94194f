"""The tables target-snowflake would create for our streams, derived without a Snowflake.

Run by tests/test_snowflake_columns.py with the Python of target-snowflake's own virtual
environment (as `meltano install` makes it), so the loader's pinned code does the mapping: it
imports nothing of this repository. It reads JSON on stdin, `{label: {"config": the loader's
config, "catalog": a tap's catalog}}`, and prints, per label, one entry per selected stream:
the table as the loader names it, each column's name and Snowflake type as its CREATE TABLE
writes them, and the MERGE statement it would load the stream with.

Only the connection is left out. `OfflineConnector.create_engine` makes the engine the loader's
own `create_engine` makes (same URL, same reserved words) but as SQLAlchemy's mock engine,
which hands the DDL over instead of connecting; everything else is the loader's code:
`SnowflakeSink` names the table and conforms the column names, `create_empty_table` builds the
table a first sync creates, `_get_merge_from_stage_statement` writes the upsert.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import typing as t

import sqlalchemy
from sqlalchemy.sql.compiler import RESERVED_WORDS as DEFAULT_RESERVED_WORDS
from target_snowflake.connector import SnowflakeConnector
from target_snowflake.sinks import SnowflakeSink
from target_snowflake.target import TargetSnowflake

# SnowflakeConnector.create_engine of the pinned target-snowflake, which OfflineConnector
# copies up to its connection. If another version changes it, this fails until the copy is
# checked against the new code and this hash renewed.
CREATE_ENGINE_SHA256 = "3a11a7c817316330b69ecc21dc9bb713f09ab131eb0c3856aad3200742dea22e"


class OfflineConnector(SnowflakeConnector):  # type: ignore[misc]  # the loader's venv only
    """The loader's connector, whose engine records its DDL instead of connecting."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.ddl: list[t.Any] = []
        super().__init__(*args, **kwargs)

    def create_engine(self) -> t.Any:
        source = inspect.getsource(SnowflakeConnector.create_engine)
        digest = hashlib.sha256(source.encode()).hexdigest()
        if digest != CREATE_ENGINE_SHA256:
            msg = f"target-snowflake's create_engine changed (sha256 {digest}): recheck this copy"
            raise RuntimeError(msg)
        engine = sqlalchemy.create_mock_engine(self.sqlalchemy_url, self._record)
        engine.dialect.identifier_preparer.reserved_words |= DEFAULT_RESERVED_WORDS
        return engine

    def _record(self, ddl: t.Any, *_: t.Any, **__: t.Any) -> None:
        self.ddl.append(ddl)


def selected(stream: dict[str, t.Any]) -> bool:
    """Whether Meltano's select rules let the stream through to the loader."""
    (top,) = [m["metadata"] for m in stream.get("metadata", []) if not m["breadcrumb"]]
    return bool(top.get("selected", top.get("selected-by-default", False)))


def tables(config: dict[str, t.Any], catalog: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    target = TargetSnowflake(config=config, validate_config=True, setup_mapper=False)
    found = []
    for stream in filter(selected, catalog["streams"]):
        connector = OfflineConnector(config=dict(target.config))
        sink = SnowflakeSink(
            target=target,
            stream_name=stream["tap_stream_id"],
            schema=stream["schema"],
            key_properties=stream.get("key_properties") or [],
            connector=connector,
        )
        connector.create_empty_table(
            full_table_name=sink.full_table_name,
            schema=sink.conform_schema(sink.schema),
            primary_keys=sink.key_properties,
        )
        (create,) = connector.ddl
        dialect = connector._engine.dialect
        preparer = dialect.identifier_preparer
        table = create.element
        properties = {sink.conform_name(name): name for name in sink.schema["properties"]}
        merge, _ = connector._get_merge_from_stage_statement(
            full_table_name=sink.full_table_name,
            schema=sink.schema,
            sync_id="sync",
            file_format="format",
            key_properties=sink.key_properties,
        )
        found.append(
            {
                "stream": stream["tap_stream_id"],
                "schema": table.schema,
                "table": table.name,
                "plain_names": {
                    name: preparer.quote(name.lower()) == name.lower()
                    for name in (table.schema, table.name)
                },
                "columns": [
                    {
                        "name": column.name,
                        "sql": preparer.format_column(column),
                        "type": column.type.compile(dialect=dialect),
                        "property": properties[column.name],
                        "json_schema": sink.schema["properties"][properties[column.name]],
                    }
                    for column in table.columns
                ],
                "primary_key": [column.name for column in table.primary_key.columns],
                "create": str(create.compile(dialect=dialect)).strip(),
                "merge": str(merge),
            }
        )
    return found


def main() -> None:
    jobs = json.load(sys.stdin)
    json.dump({label: tables(**job) for label, job in jobs.items()}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
