"""``WindowPaginator`` (tap_twin24/pagination.py): offsets within a window, the 50,000 cap, a
count that moves while a window is paged. No socket: each answer is a built Response."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tap_twin24.pagination import STALLED_RESTARTS, CallsPage, WindowPaginator
from tap_twin24.windows import (
    PERIOD_CAP,
    Window,
    WindowChangingError,
    WindowPlanner,
    WindowTooDenseError,
    reach,
)

START = datetime(2025, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
LOGGER = logging.getLogger("tap-twin24.calls.test")


def answer(count: int, *seconds: int) -> requests.Response:
    """A page of ``count`` calls in all, with calls at START + each of ``seconds``."""
    response = requests.Response()
    response.status_code = 200
    items = [
        {"id": f"c{s}", "updatedAt": (START + timedelta(seconds=s)).isoformat()} for s in seconds
    ]
    response._content = json.dumps({"count": count, "items": items}).encode()
    return response


def paginator(page_size: int = 2, days: int = 3, capacity: int | None = None) -> WindowPaginator:
    planner = WindowPlanner(
        START, START + days * DAY, DAY, capacity if capacity is not None else reach(page_size)
    )
    return WindowPaginator(planner, page_size, "updatedAt", LOGGER)


FIRST = Window(START, START + DAY)


def test_a_window_is_paged_by_offset_until_its_count_is_read() -> None:
    pages = paginator()
    assert pages.current_value == CallsPage(FIRST, 0)
    pages.advance(answer(5, 1, 2))
    assert pages.current_value == CallsPage(FIRST, 2)
    pages.advance(answer(5, 3, 4))
    assert pages.current_value == CallsPage(FIRST, 4)
    pages.advance(answer(5, 5))
    assert pages.current_value is not None
    assert pages.current_value.window.start == FIRST.end, "the next window, from offset 0"
    assert pages.current_value.offset == 0
    assert pages.pages == 3


def test_a_full_last_page_ends_the_window_without_an_empty_request() -> None:
    pages = paginator()
    pages.advance(answer(4, 1, 2))
    pages.advance(answer(4, 3, 4))
    assert pages.current_value is not None
    assert pages.current_value.window.start == FIRST.end


def test_an_empty_window_ends_itself_not_the_sync() -> None:
    pages = paginator(days=2)
    assert pages.continue_if_empty(answer(0))
    pages.advance(answer(0))
    assert pages.current_value is not None
    assert pages.current_value.window == Window(FIRST.end, START + 2 * DAY)
    pages.advance(answer(0))
    assert pages.finished


def test_offset_paging_reaches_the_cap_rounded_down_to_whole_pages() -> None:
    assert reach(1000) == PERIOD_CAP == 50_000
    assert reach(300) == 49_800, "offset 49,800 + limit 300 would pass 50,000"


def test_a_window_at_the_cap_is_read_whole() -> None:
    pages = paginator(page_size=300)
    full = answer(reach(300), *range(300))
    assert not pages.splits(full)
    pages.advance(full)
    assert pages.current_value == CallsPage(FIRST, 300)


def test_a_window_over_the_cap_is_split_and_its_first_page_not_used() -> None:
    pages = paginator(page_size=300)
    over = answer(reach(300) + 1, 1)
    assert pages.splits(over)
    pages.advance(over)
    assert pages.current_value == CallsPage(Window(START, START + DAY / 2))
    assert pages.planner.splits == 1
    assert pages.planner.windows == 0, "the window over the cap was not read"


def test_a_second_over_the_cap_ends_the_sync_rather_than_lose_calls() -> None:
    pages = paginator(page_size=300)
    second = Window(START, START + timedelta(seconds=1))
    while pages.current_value != CallsPage(second):  # a day halved down to one second
        pages.advance(answer(reach(300) + 1, 0))
    assert pages.planner.splits == 16
    with pytest.raises(WindowTooDenseError, match="cannot be split below one second"):
        pages.advance(answer(reach(300) + 1, 0))


def test_a_count_over_the_cap_after_the_first_page_does_not_split() -> None:
    pages = paginator()
    pages.advance(answer(6, 1, 2))
    assert not pages.splits(answer(reach(2) + 1, 3, 4)), "only a first page tells the count"


def test_a_count_that_moves_reads_the_window_again_from_the_last_row_seen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pages = paginator()
    pages.advance(answer(6, 10, 20))
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        pages.advance(answer(5, 40, 50))  # a call left: offsets shifted, 30 may be skipped
    again = Window(START + timedelta(seconds=20), FIRST.end)
    assert pages.current_value == CallsPage(again, 0, restart=True)
    assert "changed while it was read (6, now 5 calls)" in caplog.text
    assert "progress is not resumable if interrupted" in caplog.text, "says so honestly"


def test_the_planner_learns_the_planned_window_and_its_first_count() -> None:
    pages = paginator(page_size=2, capacity=8)
    pages.advance(answer(6, 10, 20))
    pages.advance(answer(5, 40, 50))  # restart from second 20
    pages.advance(answer(4, 30, 40))  # the rest of the window: its count is not the window's
    pages.advance(answer(4, 50, 60))
    assert pages.planner.windows == 1
    assert pages.planner.cursor == FIRST.end
    assert pages.current_value == CallsPage(Window(FIRST.end, FIRST.end + DAY))


def test_a_window_that_keeps_changing_from_its_start_ends_the_sync() -> None:
    pages = paginator()
    count = 100
    with pytest.raises(WindowChangingError, match="kept changing"):
        for _ in range(STALLED_RESTARTS + 1):
            pages.advance(answer(count, 0, 0))
            count -= 1
            pages.advance(answer(count, 0, 0))  # moved again: back to the window's start
    assert pages.current_value is not None
    assert pages.current_value.window.start == START


def test_restarts_that_gain_time_go_on_however_many() -> None:
    pages = paginator()
    count = 100
    for step in range(1, 3 * STALLED_RESTARTS):
        pages.advance(answer(count, step, step))
        count -= 1
        pages.advance(answer(count, step, step))  # moved again, but the window read on
    assert pages.current_value is not None
    assert pages.current_value.window.start == START + timedelta(seconds=3 * STALLED_RESTARTS - 1)
