"""Read back what a loader wrote, the same way for Postgres and DuckDB.

The end-to-end tests compare these tables with the emulator's ground truth; column names are
matched loosely (`createdAt`, `createdat` and `created_at` are one column) because each target
conforms names in its own way.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime

Row = dict[str, t.Any]


def loose(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def instant(value: datetime) -> datetime:
    """A loaded timestamp as a UTC instant; a naive one is taken as UTC, as the taps wrote it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Warehouse:
    """One loaded database: a DB-API connection and where each tap's tables are."""

    connection: t.Any
    schemas: t.Mapping[str, str]
    """Tap name -> schema of its tables."""
    placeholder: str = "%s"

    def _query(self, sql: str, params: t.Sequence[t.Any] = ()) -> list[tuple[t.Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def columns(self, tap: str, table: str) -> dict[str, str]:
        """Loose column name -> (real name, data type) of a table."""
        found = self._query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {self.placeholder} AND table_name = {self.placeholder}",
            (self.schemas[tap], table),
        )
        return {loose(name): f"{name}\t{kind}" for name, kind in found}

    def types(self, tap: str, table: str) -> dict[str, str]:
        """Loose column name -> data type, lower case."""
        return {k: v.split("\t")[1].lower() for k, v in self.columns(tap, table).items()}

    def rows(self, tap: str, table: str, wanted: t.Sequence[str]) -> list[Row]:
        """Every row of a table, with the `wanted` columns under those (loose) names."""
        columns = self.columns(tap, table)
        missing = [name for name in wanted if loose(name) not in columns]
        assert not missing, f"{tap} {table}: no column for {missing}; has {sorted(columns)}"
        real = [columns[loose(name)].split("\t")[0] for name in wanted]
        select = ", ".join(f'"{name}"' for name in real)
        found = self._query(f'SELECT {select} FROM "{self.schemas[tap]}"."{table}"')
        return [dict(zip(wanted, values, strict=True)) for values in found]

    def tables(self, tap: str) -> set[str]:
        found = self._query(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {self.placeholder}",
            (self.schemas[tap],),
        )
        return {name for (name,) in found}
