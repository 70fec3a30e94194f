"""The export is parsed as a stream: peak memory does not grow with the response.

``make bench`` measures a 200,000-dialog account; this keeps a smaller check in every run. A
tap that called ``response.json()`` would need about ten times the largest body.
"""

from __future__ import annotations

import json
import typing as t

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from call_emulator.testing.taprun import run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

RSS_LIMIT_MB = 150


def test_peak_rss_stays_flat_on_a_large_export(emulator: Emulator, tmp_path: Path) -> None:
    account = aiokk_account(dialogs=20_000, seed=9)
    config = mount_aiokk(emulator, account)
    config["call_types"] = [2]
    config["request_timeout"] = 60

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-2000:]
    served = [raw for raw in account.truth() if raw["call"]["callType"] == 2]
    body_mb = len(json.dumps(served, ensure_ascii=False).encode()) / 1e6
    print(f"\npeak RSS {run.peak_rss_mb:.1f} MB for one {body_mb:.1f} MB response")
    assert body_mb > 20, "too small a body to tell streaming from loading it whole"
    assert len(run.records("dialogs")) == sum(1 for raw in served if raw["analytics"]["finishDate"])
    assert 0 < run.peak_rss_mb < RSS_LIMIT_MB
