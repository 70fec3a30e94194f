"""The kit's note on how an unsorted stream resumes, against the SDK's own bookkeeping.

``note_how_progress_resumes`` relies on how singer-sdk keeps an unsorted stream's bookmark
(``progress_markers``, filled while it syncs, promoted when it ends): these cases run the SDK's
state functions directly, so an SDK that changes them fails here first. No tap here.
"""

from __future__ import annotations

import logging
import typing as t

from singer_sdk.helpers import _state as sdk_state

from singer_tap_kit.state import note_how_progress_resumes

if t.TYPE_CHECKING:
    import pytest

NOTE = "An interrupted sync is played again from the last finished one."
UNSORTED = "Stream is assumed to be unsorted, progress is not resumable if interrupted"


def sync(state: dict[str, t.Any], values: t.Sequence[str], *, noted: bool) -> dict[str, t.Any]:
    """Feed records with these finish times to the SDK as an unsorted stream; the state then."""
    for value in values:
        if noted:
            note_how_progress_resumes(state, NOTE)
        sdk_state.increment_state(
            state,
            latest_record={"finished_at": value},
            replication_key="finished_at",
            is_sorted=False,
            check_sorted=True,
        )
    return state


VALUES = ["2025-04-18T07:00:00+00:00", "2025-04-18T09:00:00+00:00", "2025-04-18T08:00:00+00:00"]


def test_a_noted_stream_gets_no_unsorted_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        sync({}, VALUES, noted=True)
        assert caplog.messages == []
        sync({}, VALUES, noted=False)
    assert caplog.messages == [UNSORTED], "the SDK still warns of its own accord"


def test_the_note_stands_in_the_state_while_the_stream_syncs() -> None:
    old = {"replication_key": "finished_at", "replication_key_value": "2025-04-17T00:00:00+00:00"}
    state = sync(dict(old), VALUES, noted=True)
    assert state == {
        **old,  # the bookmark a resumed run starts from is the last finished sync's
        "progress_markers": {
            "Note": NOTE,
            "replication_key": "finished_at",
            "replication_key_value": VALUES[1],
        },
    }
    assert sdk_state.is_state_non_resumable(state), "the SDK's view of a pause is unchanged"


def test_the_sdk_ends_a_noted_sync_as_it_ends_any_other() -> None:
    noted = sync({}, VALUES, noted=True)
    plain = sync({}, VALUES, noted=False)
    sdk_state.finalize_state_progress_markers(noted)
    sdk_state.finalize_state_progress_markers(plain)
    assert noted == plain == {"replication_key": "finished_at", "replication_key_value": VALUES[1]}


def test_a_note_never_replaces_markers_the_sdk_has_filled() -> None:
    state = sync({}, VALUES[:1], noted=False)
    note_how_progress_resumes(state, NOTE)
    assert state["progress_markers"]["replication_key_value"] == VALUES[0]
    assert state["progress_markers"]["Note"] != NOTE
