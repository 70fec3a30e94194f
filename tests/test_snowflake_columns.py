"""Snowflake readiness without a Snowflake: the tables target-snowflake would create.

No Snowflake can load data here, so the loader's own code derives what it would create:
`meltano install` puts target-snowflake (pinned in plugins/loaders/) into .meltano/, Meltano
dumps each tap's catalog (discovery with meltano.yml's select rules) and the
loader's config for that tap (meltano.yml applied, the account's values from the environment),
and harness/snowflake_columns.py, run with the loader's own Python, builds each stream's
CREATE TABLE and MERGE with target-snowflake's connector and sink. The tests check the result
against the streams' JSON schemas: timestamps keep their zone, integers are NUMBER, nested data
is VARIANT, every name survives Snowflake's upper-casing, and the MERGE that loads a stream reads
the keys the tap writes into the columns the table has.
"""

from __future__ import annotations

import json
import re
import subprocess
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.meltano_project import PROJECT_ROOT, TAPS, install, meltano

# Installs target-snowflake with Meltano and dumps each tap's catalog: `make test-slow`.
pytestmark = pytest.mark.slow

LOADER = "target-snowflake"
LOADER_PYTHON = PROJECT_ROOT / ".meltano" / "loaders" / LOADER / "venv" / "bin" / "python"
SCRIPT = Path(__file__).resolve().parents[1] / "harness" / "snowflake_columns.py"
ACCOUNT = {
    "TARGET_SNOWFLAKE_ACCOUNT": "example-account",
    "TARGET_SNOWFLAKE_USER": "loader",
    "TARGET_SNOWFLAKE_PASSWORD": "canary-snowflake-password-7e21",
    "TARGET_SNOWFLAKE_DATABASE": "analytics",
}
# Snowflake's DECIMAL without precision and scale is NUMBER(38,0), its integer type.
TYPES = {"integer": "DECIMAL", "number": "FLOAT", "boolean": "BOOLEAN", "string": "VARCHAR"}
Table = dict[str, t.Any]


def dump(tap: str, what: str, workdir: Path) -> t.Any:
    """`meltano el TAP target-snowflake --dump=WHAT`, as JSON, with a system database of its own."""
    env = {**ACCOUNT, "MELTANO_DATABASE_URI": f"sqlite:///{workdir / f'{tap}-{what}.db'}"}
    result = meltano("el", tap, LOADER, f"--dump={what}", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def derived(tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    """The tables per tap under "meltano.yml" and "loader default" (the same config without
    `timestamp_type`, as target-snowflake has it), and the dumped "catalogs" and "configs"."""
    workdir = tmp_path_factory.mktemp("snowflake")
    installed = install(*TAPS, LOADER, env={"MELTANO_DATABASE_URI": f"sqlite:///{workdir}/i.db"})
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-4000:]
    jobs = [(tap, what) for tap in TAPS for what in ("catalog", "loader-config")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        dumps = dict(
            zip(jobs, pool.map(lambda job: dump(job[0], job[1], workdir), jobs), strict=True)
        )
    runs: dict[str, dict[str, t.Any]] = {}
    for tap in TAPS:
        config, catalog = dumps[(tap, "loader-config")], dumps[(tap, "catalog")]
        assert config.get("password") == ACCOUNT["TARGET_SNOWFLAKE_PASSWORD"], config.keys()
        default = {name: value for name, value in config.items() if name != "timestamp_type"}
        runs[f"meltano.yml {tap}"] = {"config": config, "catalog": catalog}
        runs[f"loader default {tap}"] = {"config": default, "catalog": catalog}
    result = subprocess.run(
        [str(LOADER_PYTHON), str(SCRIPT)],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert ACCOUNT["TARGET_SNOWFLAKE_PASSWORD"] not in result.stdout + result.stderr
    out = json.loads(result.stdout)
    return {
        "meltano.yml": {tap: out[f"meltano.yml {tap}"] for tap in TAPS},
        "loader default": {tap: out[f"loader default {tap}"] for tap in TAPS},
        "catalogs": {tap: dumps[(tap, "catalog")] for tap in TAPS},
        "configs": {tap: dumps[(tap, "loader-config")] for tap in TAPS},
    }


def tables(derived: dict[str, t.Any], which: str = "meltano.yml") -> list[Table]:
    return [table for tap in TAPS for table in derived[which][tap]]


def expected_type(schema: t.Mapping[str, t.Any], timestamp_type: str) -> str:
    """The Snowflake type a JSON schema's values need: what the loader must have chosen."""
    types = schema.get("type", [])
    kinds = {types} if isinstance(types, str) else set(types) - {"null"}
    if kinds & {"object", "array"}:
        return "VARIANT"
    if schema.get("format") == "date-time":
        return timestamp_type
    (kind,) = kinds
    return TYPES[kind]


def selected(stream: t.Mapping[str, t.Any]) -> bool:
    """Whether meltano.yml's select rules send the stream to the loader."""
    (top,) = [m["metadata"] for m in stream["metadata"] if not m["breadcrumb"]]
    return bool(top.get("selected", top.get("selected-by-default", False)))


def test_every_selected_stream_has_its_table(derived: dict[str, t.Any]) -> None:
    for tap in TAPS:
        streams = [s["tap_stream_id"] for s in derived["catalogs"][tap]["streams"] if selected(s)]
        assert streams, f"{tap}: no stream selected"
        assert sorted(t["stream"] for t in derived["meltano.yml"][tap]) == sorted(streams)
        assert {t["schema"] for t in derived["meltano.yml"][tap]} == {
            derived["configs"][tap]["default_target_schema"].upper()
        }


def test_column_types_follow_the_json_schemas(derived: dict[str, t.Any]) -> None:
    """Timestamps with their zone, integers as NUMBER(38,0), lists and objects as VARIANT."""
    assert {c["timestamp_type"] for c in derived["configs"].values()} == {"TIMESTAMP_TZ"}
    seen: dict[str, int] = {}
    for table in tables(derived):
        for column in table["columns"]:
            want = expected_type(column["json_schema"], "TIMESTAMP_TZ")
            seen[want] = seen.get(want, 0) + 1
            assert column["type"] == want, f"{table['table']}.{column['name']}: {column}"
    # Each kind the checks are about occurs, in the taps' own fields and not only in _sdc_*.
    own = [
        expected_type(c["json_schema"], "TIMESTAMP_TZ")
        for table in tables(derived)
        for c in table["columns"]
        if not c["name"].startswith("_sdc_")
    ]
    assert {"TIMESTAMP_TZ", "DECIMAL", "VARIANT"} <= set(own), seen


def test_without_the_setting_timestamps_lose_their_zone(derived: dict[str, t.Any]) -> None:
    """The loader's default is TIMESTAMP_NTZ: meltano.yml's `timestamp_type` is what keeps the
    zone (and the check above would catch its loss)."""
    stamps = [
        column["type"]
        for table in tables(derived, "loader default")
        for column in table["columns"]
        if column["json_schema"].get("format") == "date-time"
    ]
    assert stamps and set(stamps) == {"TIMESTAMP_NTZ"}


def stored(identifier: str, ignore_case: bool) -> str:
    """The name Snowflake stores for an identifier as written in SQL."""
    if identifier.startswith('"'):
        name = identifier[1:-1].replace('""', '"')
        return name.upper() if ignore_case else name
    return identifier.upper()


PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def test_names_survive_upper_casing(derived: dict[str, t.Any]) -> None:
    """Schemas, tables and columns are plain identifiers (no quotes needed to query them, in
    any case) and stay distinct once Snowflake upper-cases them."""
    for tap in TAPS:
        names = [table["table"] for table in derived["meltano.yml"][tap]]
        assert len({name.upper() for name in names}) == len(names), names
        for table in derived["meltano.yml"][tap]:
            assert all(table["plain_names"].values()), table["plain_names"]
            columns = [column["name"] for column in table["columns"]]
            assert len({name.upper() for name in columns}) == len(columns), columns
            properties = [column["property"] for column in table["columns"]]
            assert len({name.upper() for name in properties}) == len(properties), properties
            for column in table["columns"]:
                assert column["sql"] == column["name"], f"{table['table']}: {column['sql']}"
                assert PLAIN.fullmatch(column["name"]), column["name"]


SELECT = re.compile(r'\$1:("(?:[^"]|"")+"|\w+)::(\w+) as ("(?:[^"]|"")+"|\w+)')
INSERT = re.compile(r"when not matched then insert \((.*?)\) values")
JOIN = re.compile(r"d\.(\S+) = s\.(\S+)")


def test_the_merge_reads_the_tap_keys_into_the_table_columns(derived: dict[str, t.Any]) -> None:
    """The upsert's JSON paths are the property names the tap writes (paths are case
    sensitive), its casts are the column types, and every name it writes to is a column of the
    table it created, as Snowflake resolves names in the loader's session."""
    for tap in TAPS:
        ignore_case = derived["configs"][tap].get("quoted_identifiers_ignore_case", True)
        for table in derived["meltano.yml"][tap]:
            columns = {stored(c["sql"], ignore_case): c for c in table["columns"]}
            selects = SELECT.findall(table["merge"])
            assert selects, table["merge"][:300]
            paths = [path.strip('"') for path, _, _ in selects]
            assert paths == [c["property"] for c in table["columns"]], table["stream"]
            for path, cast, alias in selects:
                column = columns[stored(alias, ignore_case)]
                assert (column["property"], cast) == (path.strip('"'), column["type"])
            (inserted,) = INSERT.findall(table["merge"])
            assert [stored(name, ignore_case) for name in inserted.split(", ")] == list(columns)
            on = table["merge"].split(" on ", 1)[1].split(" when ", 1)[0]
            keys = [stored(left, ignore_case) for left, _ in JOIN.findall(on)]
            assert keys == [stored(k, ignore_case) for k in table["primary_key"]], on
            assert keys, f"{table['stream']} has no key to upsert on"
