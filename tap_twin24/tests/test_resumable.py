"""What a twin24 sync says about resuming: the SDK's "assumed to be unsorted" warning would be
untrue (calls and their transcript lines go out in order, and resume from the calls' bookmark),
so no run logs it, with or without ``task_ids``, and no STATE holds non-resumable progress.

End to end: the tap runs against the loopback emulator, a few hundred calls."""

from __future__ import annotations

import typing as t

import pytest

from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

UNSORTED = "Stream is assumed to be unsorted"


@pytest.mark.parametrize("with_task_ids", [False, True], ids=["all-calls", "task-ids"])
def test_a_sync_does_not_call_its_resumable_streams_unsorted(
    emulator: Emulator, tmp_path: Path, with_task_ids: bool
) -> None:
    account = Twin24Account(calls=300, seed=2)
    config = mount_twin24(emulator, account)
    if with_task_ids:
        config["task_ids"] = account.task_ids()[:2]
    run = run_tap("tap_twin24", config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert run.records("calls") and run.records("call_messages")
    assert UNSORTED not in run.stderr
    assert all("progress_markers" not in str(state) for state in run.states)
    final = run.final_state["bookmarks"]["call_messages"]
    assert final["replication_key"] == "call_updated_at"
    assert final["replication_key_value"] == run.records("call_messages")[-1]["call_updated_at"]
