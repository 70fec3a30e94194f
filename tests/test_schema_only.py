"""`--test=schema`: every stream's SCHEMA message, from the catalog when one is given.

The tables step of docs/scaling-out.md pipes it into target-postgres to create each tap's
tables before shards load into them in parallel, so the schemas must be the ones a sync sends:
the catalog's (with any `schema` extras a project adds), wherever `--catalog` stands on the command
line. No request reaches the vendor, no record comes out.
"""

from __future__ import annotations

import json
import typing as t

import pytest

from call_emulator import Emulator
from call_emulator.testing.taprun import run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

CONFIGS: dict[str, dict[str, t.Any]] = {
    "tap_aiokk": {"token": "canary-schema-token-41d2"},
    "tap_twin24": {"email": "e@twin24.example", "password": "canary-schema-pw-9e1",
                   "start_date": "2025-03-01T00:00:00Z"},
    "tap_alovoice": {"token": "canary-schema-token-41d2", "call_ids": ["1716207617.2391"]},
}  # fmt: skip
URLS = {
    "tap_aiokk": ("api_url",),
    "tap_twin24": ("auth_url", "api_url", "tasks_url"),
    "tap_alovoice": ("api_url",),
}


@pytest.mark.parametrize("module", sorted(CONFIGS))
def test_schemas_come_from_the_catalog(module: str, tmp_path: Path) -> None:
    with Emulator() as emulator:  # nothing mounted: any request would fail the run
        config = CONFIGS[module] | dict.fromkeys(URLS[module], emulator.url)
        discovered = run_tap(module, config, tmp_path / "discover", args=["--discover"])
        assert discovered.exit_code == 0, discovered.stderr[-2000:]
        catalog = json.loads(discovered.stdout)
        entry = catalog["streams"][0]
        entry["schema"]["properties"]["added_by_the_catalog"] = {"type": ["string", "null"]}
        path = tmp_path / "catalog.json"
        path.write_text(json.dumps(catalog))
        # --test before --catalog: the order in which the SDK's own --test would miss it
        run = run_tap(
            module, config, tmp_path / "schema", args=["--test=schema", "--catalog", str(path)]
        )
        requests = emulator.request_log.count()
    assert run.exit_code == 0, run.stderr[-2000:]
    kinds = {message["type"] for message in run.messages}
    assert kinds == {"SCHEMA"}
    schemas = {message["stream"]: message["schema"] for message in run.messages}
    assert set(schemas) == {stream["tap_stream_id"] for stream in catalog["streams"]}
    assert "added_by_the_catalog" in schemas[entry["tap_stream_id"]]["properties"]
    assert requests == 0
