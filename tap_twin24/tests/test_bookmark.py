"""twin24's bookmark and its ties (tap_twin24/bookmark.py): each call goes out once.

No socket and no SDK: ``sync`` plays a sync the way CallsStream does, a Sieve per sync fed each
page, the bookmark moved to every call sent (as the SDK does) and noted next to it.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime, timedelta

from tap_twin24.bookmark import (
    OUTSIDE,
    READ_TWICE,
    SENT_BEFORE,
    TIES_KEY,
    Bookmark,
    Sieve,
    iso,
)
from tap_twin24.windows import Window

FIELD = "updatedAt"
START = datetime(2025, 3, 1, tzinfo=UTC)
NOON = START + timedelta(hours=12)
DAY = Window(START, START + timedelta(days=1))


def call(call_id: str, at: datetime) -> dict[str, t.Any]:
    return {"id": call_id, FIELD: iso(at)}


def sync(state: dict[str, t.Any], pages: list[tuple[Window, list[dict[str, t.Any]]]]) -> list[str]:
    """The ids a sync sends from ``pages``, starting at the state's bookmark or at START."""
    value = state.get("replication_key_value")
    sieve = Sieve(Bookmark(state, FIELD, datetime.fromisoformat(value) if value else START))
    sent = []
    for window, rows in pages:
        sieve.new_page(window)
        for row in rows:
            if sieve.skip(row, window) is None:
                sent.append(row["id"])
                state["replication_key_value"] = row[FIELD]  # the SDK's bookmark
                sieve.bookmark.note(row)
    return sent


def test_a_call_on_the_end_of_a_window_is_left_to_the_next_window() -> None:
    sieve = Sieve(Bookmark({}, FIELD, START))
    sieve.new_page(DAY)
    assert sieve.skip(call("a", DAY.end), DAY) == OUTSIDE
    assert sieve.skip(call("b", DAY.end - timedelta(seconds=1)), DAY) is None


def test_a_call_on_the_start_of_a_window_is_sent_by_it() -> None:
    following = Window(DAY.end, DAY.end + timedelta(days=1))
    sieve = Sieve(Bookmark({}, FIELD, START))
    sieve.new_page(following)
    assert sieve.skip(call("a", DAY.end), following) is None


def test_a_boundary_call_is_sent_once_whether_twin24_counts_to_in_or_not() -> None:
    following = Window(DAY.end, DAY.end + timedelta(days=1))
    edge = call("edge", DAY.end)
    assert sync({}, [(DAY, [edge]), (following, [edge])]) == ["edge"]


def test_a_call_sent_at_the_bookmark_second_is_not_sent_again() -> None:
    state = {"replication_key_value": iso(NOON), TIES_KEY: ["a", "b"]}
    sieve = Sieve(Bookmark(state, FIELD, NOON))
    window = Window(NOON, NOON + timedelta(hours=1))
    sieve.new_page(window)
    assert sieve.skip(call("a", NOON), window) == SENT_BEFORE


def test_a_new_call_tied_at_the_bookmark_second_is_sent() -> None:
    state = {"replication_key_value": iso(NOON), TIES_KEY: ["a", "b"]}
    window = Window(NOON, NOON + timedelta(hours=1))
    rows = [call("a", NOON), call("b", NOON), call("c", NOON)]
    assert sync(state, [(window, rows)]) == ["c"]


def test_a_listed_call_updated_since_the_bookmark_is_sent() -> None:
    state = {"replication_key_value": iso(NOON), TIES_KEY: ["a"]}
    window = Window(NOON, NOON + timedelta(hours=1))
    assert sync(state, [(window, [call("a", NOON + timedelta(seconds=1))])]) == ["a"]


def test_listed_ids_without_a_bookmark_are_not_trusted() -> None:
    state: dict[str, t.Any] = {TIES_KEY: ["a"]}
    assert sync(state, [(DAY, [call("a", START)])]) == ["a"]


def test_the_state_names_the_previous_ties_until_a_call_goes_out() -> None:
    state = {"replication_key_value": iso(NOON), TIES_KEY: ["b", "a"]}
    Bookmark(state, FIELD, NOON)
    assert state[TIES_KEY] == ["a", "b"]


def test_the_state_lists_the_calls_sent_at_the_newest_time_only() -> None:
    state: dict[str, t.Any] = {}
    rows = [call("a", NOON), call("b", NOON), call("c", NOON + timedelta(seconds=1))]
    sync(state, [(DAY, rows[:2])])
    assert state[TIES_KEY] == ["a", "b"], "a state written between two pages"
    state = {}
    sync(state, [(DAY, rows)])
    assert state == {"replication_key_value": iso(NOON + timedelta(seconds=1)), TIES_KEY: ["c"]}


def test_a_call_read_twice_in_a_window_read_again_is_sent_once() -> None:
    sieve = Sieve(Bookmark({}, FIELD, START))
    sieve.new_page(DAY)
    assert sieve.skip(call("a", NOON), DAY) is None
    again = Window(NOON, DAY.end)  # the rest of the window, read again from NOON
    sieve.new_page(again)
    assert sieve.skip(call("a", NOON), again) == READ_TWICE
    assert sieve.skip(call("b", NOON), again) is None


def test_a_new_stretch_of_time_forgets_the_calls_seen() -> None:
    sieve = Sieve(Bookmark({}, FIELD, START))
    sieve.new_page(DAY)
    assert sieve.skip(call("a", NOON), DAY) is None
    following = Window(DAY.end, DAY.end + timedelta(days=1))
    sieve.new_page(following)
    sieve.new_page(Window(NOON, DAY.end))  # overlaps the last page read: keeps what it saw
    assert sieve.skip(call("a", NOON), DAY) is None


def test_a_resumed_sync_sends_exactly_the_calls_the_first_did_not() -> None:
    """Interrupted after two of three calls that share a second; a fourth arrives meanwhile."""
    window = Window(NOON, NOON + timedelta(hours=1))
    first = [call("a", NOON), call("b", NOON)]
    state: dict[str, t.Any] = {}
    assert sync(state, [(window, first)]) == ["a", "b"]
    assert state == {"replication_key_value": iso(NOON), TIES_KEY: ["a", "b"]}
    later = call("d", NOON + timedelta(minutes=5))
    again = [call("a", NOON), call("b", NOON), call("c", NOON), later]
    assert sync(state, [(window, again)]) == ["c", "d"]
    assert state == {"replication_key_value": later[FIELD], TIES_KEY: ["d"]}
