"""aiokk's dialogs bookmark: which finished dialogs a sync emits, and what it keeps for the next.

The export has no date filter, so every sync lists every dialog again and the bookmark alone
tells new from already emitted. Each case plays syncs as `DialogsStream` does: a listing of
(dialog id, finish time or None while analysed) goes through `admits` and `saw`.
No HTTP and no tap here.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

from tap_aiokk.bookmark import Bookmark

LOOKBACK = timedelta(minutes=10)
T0 = "2025-04-18T06:00:00+00:00"
T1 = "2025-04-18T07:00:00+00:00"  # the bookmark second of the first sync in most cases
T1_MINUS_5 = "2025-04-18T06:55:00+00:00"  # inside the lookback before T1
T1_MINUS_15 = "2025-04-18T06:45:00+00:00"  # before the lookback
T2 = "2025-04-18T08:00:00+00:00"

Listing = t.Sequence[tuple[int, str | None]]


def sync(start: Bookmark, listing: Listing) -> tuple[list[int], Bookmark]:
    """One sync over ``listing``, in the order the stream uses the bookmark: every dialog is
    seen (once), a finished one is emitted when the starting bookmark admits it."""
    newest = start.next_sync()
    emitted: list[int] = []
    for dialog_id, finished_at in listing:
        if dialog_id in emitted:
            continue  # a repeat from another filter
        newest.saw(dialog_id, finished_at)
        if finished_at is not None and start.admits(dialog_id, finished_at):
            emitted.append(dialog_id)
    return emitted, newest


def resumed(bookmark: Bookmark, floor: str | None = None) -> Bookmark:
    """The bookmark the next run reads back from the state this one wrote."""
    return Bookmark.from_state(bookmark.state(), LOOKBACK, floor)


def first_sync(listing: Listing) -> Bookmark:
    emitted, newest = sync(Bookmark(None, LOOKBACK), listing)
    assert emitted == [i for i, at in listing if at is not None]
    return resumed(newest)


# A tie at the bookmark second --------------------------------------------------------------


def test_dialogs_emitted_at_the_bookmark_second_are_not_emitted_again() -> None:
    start = first_sync([(1, T1), (2, T1)])
    assert sync(start, [(1, T1), (2, T1)])[0] == []


def test_a_dialog_that_finished_at_the_bookmark_second_after_the_listing_comes_next_time() -> None:
    """Dialog 2 finished in the same second as 1 and 3, but after its filter was read."""
    start = first_sync([(1, T1), (3, T1)])
    assert sync(start, [(1, T1), (2, T1), (3, T1)])[0] == [2]


def test_the_tie_is_kept_across_two_syncs_without_news() -> None:
    start = first_sync([(1, T1), (2, T1)])
    _, newest = sync(start, [(1, T1), (2, T1)])
    assert sync(resumed(newest), [(1, T1), (2, T1)])[0] == []


# Lookback --------------------------------------------------------------------------------


def test_a_dialog_that_finished_within_the_lookback_unseen_is_emitted() -> None:
    start = first_sync([(1, T1), (3, T1)])
    assert start.window_start == "2025-04-18T06:50:00+00:00"
    assert sync(start, [(1, T1), (2, T1_MINUS_5), (3, T1)])[0] == [2]


def test_an_old_dialog_before_the_lookback_with_a_known_id_is_not_emitted() -> None:
    """Ids grow as calls come in: a low id that finished long ago was synced (or filtered)."""
    start = first_sync([(1, T1), (3, T1)])
    assert sync(start, [(1, T1), (2, T1_MINUS_15), (3, T1)])[0] == []


def test_a_new_id_is_emitted_however_old_its_finish_time() -> None:
    start = first_sync([(1, T1), (3, T1)])
    assert sync(start, [(4, T0)])[0] == [4]


def test_a_dialog_emitted_within_the_lookback_is_not_emitted_again() -> None:
    start = first_sync([(1, T1_MINUS_5), (2, T1)])
    assert sync(start, [(1, T1_MINUS_5), (2, T1)])[0] == []


# A count that moves: analyses finish later, and are done again ----------------------------


def test_a_dialog_still_analysed_is_emitted_once_it_is_finished() -> None:
    start = first_sync([(1, T1), (2, None), (3, T1)])
    assert start.pending == {2}
    emitted, newest = sync(start, [(1, T1), (2, T1_MINUS_15), (3, T1)])
    assert emitted == [2], "an old finish time does not hide a dialog that was pending"
    assert newest.pending == set()


def test_a_dialog_pending_again_stays_pending_and_is_not_emitted() -> None:
    start = first_sync([(1, T1), (2, None)])
    emitted, newest = sync(start, [(1, T1), (2, None)])
    assert (emitted, newest.pending) == ([], {2})


def test_a_reanalysed_dialog_is_emitted_again_with_its_new_finish_time() -> None:
    start = first_sync([(1, T1), (2, T1)])
    emitted, newest = sync(start, [(1, T2), (2, T1)])
    assert emitted == [1]
    assert newest.value == T2


def test_a_reanalysis_within_the_lookback_is_emitted_again() -> None:
    start = first_sync([(1, T1_MINUS_5), (2, T1)])
    assert sync(start, [(1, "2025-04-18T06:56:00+00:00"), (2, T1)])[0] == [1]


def test_a_repeat_from_another_filter_is_emitted_once() -> None:
    emitted, _ = sync(Bookmark(None, LOOKBACK), [(1, T1), (2, T1), (1, T1)])
    assert emitted == [1, 2]


def test_a_dialog_finished_in_the_future_is_pending_and_does_not_move_the_mark() -> None:
    """The stream hands a finish time past its clock's horizon to ``saw`` as None."""
    bookmark = Bookmark(T1, LOOKBACK)
    bookmark.saw(9, None)
    assert (bookmark.value, bookmark.max_id, bookmark.pending) == (T1, 9, {9})


# start_date ----------------------------------------------------------------------------


def test_nothing_that_finished_before_start_date_is_emitted_even_a_new_id() -> None:
    start = Bookmark(None, LOOKBACK, floor=T1)
    assert sync(start, [(1, T0), (2, T1), (3, T2)])[0] == [2, 3]


# What state is written ------------------------------------------------------------------


def test_the_state_holds_the_mark_the_ids_and_the_dialogs_within_the_lookback() -> None:
    _, newest = sync(Bookmark(None, LOOKBACK), [(3, T1_MINUS_15), (1, T1), (5, None), (2, T1)])
    assert newest.state() == {
        "finished_at": T1,
        "max_dialog_id": 5,
        "pending_dialog_ids": [5],
        "dialogs": {"1": T1, "2": T1},  # 3 finished before the lookback: its id is enough
    }


def test_the_state_is_json_and_reads_back_as_the_same_bookmark() -> None:
    _, newest = sync(Bookmark(None, LOOKBACK), [(1, T1_MINUS_5), (2, T1), (4, None)])
    back = resumed(newest, floor=T0)
    assert (back.value, back.max_id, back.pending, back.recent, back.floor) == (
        T1,
        4,
        {4},
        {1: T1_MINUS_5, 2: T1},
        T0,
    )


def test_a_first_sync_without_news_writes_an_empty_mark() -> None:
    _, newest = sync(Bookmark(None, LOOKBACK), [])
    assert newest.state() == {
        "finished_at": None,
        "max_dialog_id": None,
        "pending_dialog_ids": [],
        "dialogs": {},
    }


def test_a_sync_without_news_keeps_the_previous_mark() -> None:
    start = first_sync([(1, T1), (2, None)])
    _, newest = sync(start, [])
    assert newest.state() == {
        "finished_at": T1,
        "max_dialog_id": 2,
        "pending_dialog_ids": [],  # 2 was not listed this time: nothing is waited for
        "dialogs": {"1": T1},
    }


# Resume after interruption --------------------------------------------------------------


def test_an_interrupted_sync_is_played_again_from_the_last_finished_one() -> None:
    """A sync that dies writes no bookmark: the next starts from the last one written, sends
    what the dead one had sent again (same keys, loaders upsert) and loses nothing."""
    start = first_sync([(1, T1), (2, None)])
    listing = [(1, T1), (2, T1_MINUS_15), (3, T2), (4, T2)]
    _, _interrupted = sync(start, listing[:3])  # its state never reached the target
    emitted, newest = sync(start, listing)
    assert emitted == [2, 3, 4]
    assert sync(resumed(newest), listing)[0] == []
