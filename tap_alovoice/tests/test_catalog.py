"""The catalog tells the truth: a loader that trusts it keeps every row across runs.

A second run sends only the calls settled since the first. A loader that read FULL_TABLE
could replace each table with one run's rows; this one does exactly what the catalog and the
messages say (replace on FULL_TABLE or ACTIVATE_VERSION, upsert on the key otherwise), and
must end with every call of both runs. Runs the tap against the loopback emulator.
"""

from __future__ import annotations

import json
import typing as t

from call_emulator.testing.alovoice_support import alovoice_account, mount_alovoice
from call_emulator.testing.taprun import TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

Table = dict[tuple[t.Any, ...], dict[str, t.Any]]


def replication_methods(catalog: t.Mapping[str, t.Any]) -> dict[str, str]:
    """Each stream's replication method as a loader reads it from the catalog."""
    methods = {}
    for stream in catalog["streams"]:
        top = next(m["metadata"] for m in stream["metadata"] if m["breadcrumb"] == [])
        method = stream.get("replication_method") or top.get("forced-replication-method")
        methods[stream["tap_stream_id"]] = method or "FULL_TABLE"
    return methods


def load(run: TapRun, methods: t.Mapping[str, str], tables: dict[str, Table]) -> None:
    """Apply one run's messages as a loader that trusts the catalog would."""
    keys: dict[str, list[str]] = {}
    replaced: set[str] = set()
    for message in run.messages:
        stream = message.get("stream", "")
        if message["type"] == "SCHEMA":
            keys[stream] = message["key_properties"]
        elif message["type"] == "ACTIVATE_VERSION":
            tables[stream] = {}
        elif message["type"] == "RECORD":
            if methods[stream] == "FULL_TABLE" and stream not in replaced:
                tables[stream] = {}  # a full table: this run's rows are the whole table
                replaced.add(stream)
            row = message["record"]
            tables.setdefault(stream, {})[tuple(row[k] for k in keys[stream])] = row


def test_a_loader_trusting_the_catalog_keeps_every_call_of_two_runs(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = alovoice_account(12, delay_seconds=0.05, seed=21)
    first_calls, later_calls = account.call_ids()[:6], account.call_ids()[6:]
    config = mount_alovoice(emulator, account)
    config.update(call_ids=first_calls, poll_interval_ms=50)
    discovered = run_tap("tap_alovoice", config, tmp_path / "discover", args=["--discover"])
    methods = replication_methods(json.loads(discovered.stdout))

    tables: dict[str, Table] = {}
    first = run_tap("tap_alovoice", config, tmp_path / "first")
    load(first, methods, tables)
    config["call_ids"] = first_calls + later_calls
    second = run_tap("tap_alovoice", config, tmp_path / "second", state=first.final_state)
    load(second, methods, tables)

    sent_second = {r["call_id"] for r in second.records("analyses")}
    assert sent_second == set(later_calls), "the second run sends only the new calls"
    assert {key[0] for key in tables["analyses"]} == set(first_calls + later_calls)
    assert {row["status"] for row in tables["analyses"].values()} == {"done"}
    fragments = {row["call_id"] for row in tables["fragments"].values()}
    assert fragments == set(first_calls + later_calls), "every done call keeps its fragments"
    for run in (first, second):
        types = {m["type"] for m in run.messages}
        assert "ACTIVATE_VERSION" not in types
        assert "assumed to be unsorted" not in run.stderr, "every stream is resumable"
    assert methods == dict.fromkeys(["analyses", "fragments", "tags"], "INCREMENTAL")
