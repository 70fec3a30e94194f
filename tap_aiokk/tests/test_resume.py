"""What aiokk's catalog and state say about resuming, against what a resumed run does.

The dialogs stream is unsorted for the SDK (the export lists dialogs in no order of finish
time), yet resumable: its own bookmark moves only when a sync ends, so a STATE written while
it syncs resumes from the last finished sync. No run may say otherwise ("Stream is assumed to
be unsorted, progress is not resumable if interrupted"), and a run resumed from any STATE
written in the middle of a sync must deliver every dialog the whole sync delivered.
These run the tap as a process against the loopback emulator.
"""

from __future__ import annotations

import json
import typing as t

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from call_emulator.testing.taprun import TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

STREAMS = ("dialogs", "dialog_criteria", "dialog_signals")
UNTRUE = ("unsorted", "not resumable")


PRIMARY_KEYS = {
    "dialogs": ("dialog_id",),
    "dialog_criteria": ("dialog_id", "number"),
    "dialog_signals": ("dialog_id", "position"),
}
Keys = set[tuple[str, tuple[t.Any, ...]]]


def in_the_middle(run: TapRun) -> list[tuple[int, dict[str, t.Any]]]:
    """The STATE messages written before the sync ended, with their place among the messages."""
    return [
        (place, message["value"])
        for place, message in enumerate(run.messages)
        if message["type"] == "STATE" and message["value"] != run.final_state
    ]


def same_bookmark(dialogs: t.Mapping[str, t.Any]) -> bool:
    """Whether the stream's own bookmark and the SDK's hold the same finish time."""
    own = dialogs["recently_finished"]["replication_key_value"]
    return bool(own == dialogs["replication_key_value"])


def keys(messages: t.Sequence[dict[str, t.Any]]) -> Keys:
    """The rows among ``messages``, by stream and primary key."""
    return {
        (m["stream"], tuple(m["record"][name] for name in PRIMARY_KEYS[m["stream"]]))
        for m in messages
        if m["type"] == "RECORD"
    }


def test_a_sync_says_how_it_resumes_and_never_that_it_cannot(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = aiokk_account(dialogs=80, seed=4)
    config = mount_aiokk(emulator, account)
    config["department_ids"] = account.department_ids()  # dialogs come again, in no order

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-3000:]
    assert all(run.records(stream) for stream in STREAMS)
    said = run.stderr + json.dumps(run.states)
    assert [word for word in UNTRUE if word in said] == []
    assert "an interrupted sync is played again from the last finished one" in run.stderr
    markers = [s for _, s in in_the_middle(run) if "progress_markers" in s["bookmarks"]["dialogs"]]
    assert markers, "the SDK's progress markers are kept while the streams sync"
    final = run.final_state["bookmarks"]
    assert [name for name in STREAMS if "progress_markers" in final[name]] == []
    assert {final[name]["replication_key_value"] for name in STREAMS} == {
        final["dialogs"]["recently_finished"]["replication_key_value"]
    }


def test_a_sync_interrupted_after_any_state_resumes_without_losing_a_row(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The second sync emits over 500 dialogs, so it writes STATE between its dialogs (once per
    batch of child rows) as well as after them. A target that saved one of them holds the rows
    sent before it; the run resumed from it must send every other row of the whole sync."""
    account = aiokk_account(dialogs=1200, seed=6, unfinished_share=0.6)
    config = mount_aiokk(emulator, account)
    first = run_tap("tap_aiokk", config, tmp_path / "first")
    assert first.exit_code == 0, first.stderr[-3000:]
    account.finish_pending()

    whole = run_tap("tap_aiokk", config, tmp_path / "whole", state=first.final_state)
    assert len(whole.records("dialogs")) > 500
    saved = [(place, state) for place, state in in_the_middle(whole) if place > 0]
    # Between dialogs; after the dialogs stream wrote its own bookmark, before the SDK's is
    # final; after the dialogs, before the child streams' bookmarks are final.
    between = saved[0]
    own_written = next(s for s in saved if not same_bookmark(s[1]["bookmarks"]["dialogs"]))
    last = saved[-1]
    assert same_bookmark(between[1]["bookmarks"]["dialogs"])
    assert between[0] < own_written[0] < last[0]
    for place, state in (between, own_written, last):
        resumed = run_tap("tap_aiokk", config, tmp_path / f"resumed{place}", state=state)
        assert resumed.exit_code == 0, resumed.stderr[-3000:]
        held = keys(whole.messages[:place])
        assert held, place
        assert keys(whole.messages) - held - keys(resumed.messages) == set(), place
