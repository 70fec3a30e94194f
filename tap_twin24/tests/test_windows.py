"""tap-twin24's window planner on its own: windows follow the data, nothing lost or repeated.

No socket and no process: ``Server`` answers each window with the calls an account holds in
it, as twin24 counts them, and ``drain`` reads windows the way the tap's paginator does (one
request per page of PAGE rows, one wasted request for a window over the cap, which is split).
"""

from __future__ import annotations

import json
import logging
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import requests

from tap_twin24.pagination import Progress, WindowPaginator
from tap_twin24.windows import LONGEST, PERIOD_CAP, Window, WindowPlanner, reach

PAGE = 1000
CAPACITY = reach(PAGE)
START = datetime(2024, 1, 1, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
TWO_YEARS = timedelta(days=730)


@dataclass
class Server:
    """Calls at whole seconds; ``inclusive_to``: twin24 counts ``to`` in, as it may."""

    stamps: list[datetime]
    inclusive_to: bool = False

    def __post_init__(self) -> None:
        self.stamps.sort()

    def calls(self, window: Window) -> list[datetime]:
        high = bisect_right if self.inclusive_to else bisect_left
        return self.stamps[bisect_left(self.stamps, window.start) : high(self.stamps, window.end)]


@dataclass
class Drained:
    """What reading a whole range cost and brought."""

    requests: int = 0
    delivered: list[datetime] = field(default_factory=list)
    read: list[tuple[Window, int]] = field(default_factory=list)
    """Each window read to its end, with its count."""

    @property
    def lengths(self) -> list[timedelta]:
        return [window.end - window.start for window, _ in self.read]


def drain(planner: WindowPlanner, server: Server) -> Drained:
    """Read the planner's range as the tap does; rows outside their window are dropped."""
    out = Drained()
    while (window := planner.next()) is not None:
        calls = server.calls(window)
        if len(calls) > planner.capacity:
            out.requests += 1  # the first page tells the count; its rows are not used
            assert planner.split(window) is not None, f"{window} cannot be split"
            continue
        out.requests += max(1, math.ceil(len(calls) / PAGE))
        out.delivered += [moment for moment in calls if window.holds(moment)]
        out.read.append((window, len(calls)))
        planner.read(window, len(calls))
    return out


def planner(start: datetime, end: datetime, hours: int = 24) -> WindowPlanner:
    return WindowPlanner(start, end, timedelta(hours=hours), CAPACITY)


def spread(first: datetime, span: timedelta, calls: int) -> list[datetime]:
    """``calls`` calls at whole seconds spread evenly over ``span`` from ``first``."""
    seconds = int(span.total_seconds())
    return [first + timedelta(seconds=i * seconds // calls) for i in range(calls)]


def assert_exactly_once(out: Drained, server: Server, start: datetime, end: datetime) -> None:
    expected = [moment for moment in server.stamps if start <= moment < end]
    assert Counter(out.delivered) == Counter(expected)
    assert len(out.delivered) == len(expected)


def assert_contiguous(out: Drained, start: datetime, end: datetime) -> None:
    """The windows read cover the range end to end, without a gap or an overlap."""
    assert out.read[0][0].start == start
    assert out.read[-1][0].end == end
    for (before, _), (after, _) in pairwise(out.read):
        assert before.end == after.start


@pytest.mark.parametrize("hours", [1, 24, 24 * 366])
def test_two_empty_years_take_at_most_20_requests(hours: int) -> None:
    end = START + TWO_YEARS
    out = drain(planner(START, end, hours), Server([]))
    assert out.requests <= 20
    assert out.delivered == []
    assert_contiguous(out, START, end)
    assert max(out.lengths) <= LONGEST


def test_a_quiet_stretch_costs_what_a_quiet_day_did_not() -> None:
    """Before: one request per window_hours. 630 days without a call at 24 h were 630."""
    end = START + timedelta(days=630)
    out = drain(planner(START, end), Server([]))
    assert out.requests == 10  # 1, 2, 4 ... 256 days, then a year (the longest window)
    assert out.lengths[:3] == [DAY, 2 * DAY, 4 * DAY]


def test_5000_calls_over_two_years_at_one_hour_take_few_requests() -> None:
    """Before: 17,520 one-hour windows, a request each."""
    end = START + TWO_YEARS
    server = Server(spread(START, TWO_YEARS, 5_000))
    out = drain(planner(START, end, 1), server)
    assert_exactly_once(out, server, START, end)
    assert out.requests <= 20


def test_a_dense_day_is_split_under_the_cap() -> None:
    """200,000 calls in one day after a quiet week: every window read holds at most the cap."""
    dense = START + timedelta(days=7)
    server = Server(spread(dense, DAY, 200_000))
    end = START + timedelta(days=10)
    plan = planner(START, end)
    out = drain(plan, server)
    assert_exactly_once(out, server, START, end)
    assert_contiguous(out, START, end)
    assert all(count <= CAPACITY <= PERIOD_CAP for _, count in out.read)
    assert plan.splits > 0
    assert out.requests <= 200 + 25, "200 pages of calls, a few windows and splits on top"


def test_a_dense_second_that_cannot_be_split_is_not_read_in_part() -> None:
    moment = START + timedelta(hours=5)
    plan = planner(START, START + DAY)
    server = Server([moment] * (CAPACITY + 1))
    with pytest.raises(AssertionError, match="cannot be split"):
        drain(plan, server)
    assert plan.cursor <= moment, "the planner moved past calls it could not read"


@pytest.mark.parametrize("inclusive_to", [False, True], ids=["to-exclusive", "to-inclusive"])
def test_a_boundary_instant_is_neither_lost_nor_repeated(inclusive_to: bool) -> None:
    """Calls on every whole hour, so on every boundary the planner may choose."""
    end = START + timedelta(days=40)
    hours = int((end - START) / HOUR)
    stamps = [START + i * HOUR for i in range(hours) for _ in range(3)]
    server = Server(stamps, inclusive_to=inclusive_to)
    out = drain(planner(START, end, 1), server)
    assert_exactly_once(out, server, START, end)
    assert_contiguous(out, START, end)
    on_boundaries = {window.start for window, _ in out.read[1:]}
    assert on_boundaries and on_boundaries <= set(stamps), "no boundary fell on a call"


def test_a_split_boundary_between_two_dense_seconds_loses_nothing() -> None:
    """30,000 calls each in the two seconds around the middle of a day: the split's cut."""
    middle = START + timedelta(hours=12)
    server = Server([middle - timedelta(seconds=1)] * 30_000 + [middle] * 30_000)
    end = START + DAY
    plan = planner(START, end)
    out = drain(plan, server)
    assert_exactly_once(out, server, START, end)
    assert plan.splits == 1
    assert out.read[0][0] == Window(START, middle)


def test_windows_grow_then_shrink_when_data_appears_then_grow_again() -> None:
    """A quiet quarter, six hours of 40,000 calls an hour, another quiet quarter."""
    busy = START + timedelta(days=90)
    end = busy + timedelta(days=90)
    server = Server(spread(busy, 6 * HOUR, 240_000))
    out = drain(planner(START, end), server)
    assert_exactly_once(out, server, START, end)
    assert_contiguous(out, START, end)
    lengths = out.lengths
    assert lengths[:4] == [DAY, 2 * DAY, 4 * DAY, 8 * DAY], "quiet: each window doubles"
    busiest = max(range(len(out.read)), key=lambda i: out.read[i][1])
    assert lengths[busiest] <= HOUR, "the busy hours are read in short windows"
    assert all(count <= CAPACITY for _, count in out.read)
    after = lengths[busiest + 1 :]
    assert any(b == 2 * a for a, b in pairwise(after)), "no regrowth"
    assert max(after) > DAY
    assert out.requests <= 240 + 40


@pytest.mark.parametrize(
    ("length", "count", "following"),
    [
        pytest.param(DAY, 0, 2 * DAY, id="empty-doubles"),
        pytest.param(DAY, CAPACITY // 4, 2 * DAY, id="quarter-full-doubles"),
        pytest.param(DAY, CAPACITY // 4 + 1, DAY, id="under-half-stays"),
        pytest.param(DAY, CAPACITY // 2, DAY, id="half-full-stays"),
        pytest.param(4 * DAY, CAPACITY // 2 + 1, 2 * DAY, id="over-half-halves"),
        pytest.param(DAY, CAPACITY, DAY, id="never-below-window-hours"),
        pytest.param(HOUR, CAPACITY, HOUR, id="split-window-keeps-its-length"),
        pytest.param(HOUR, 10, 2 * HOUR, id="split-window-grows-back"),
        pytest.param(LONGEST, 0, LONGEST, id="never-past-a-year"),
    ],
)
def test_the_next_window_follows_the_count_of_the_last(
    length: timedelta, count: int, following: timedelta
) -> None:
    plan = planner(START, START + 4 * LONGEST)
    window = Window(START, START + length)
    plan.read(window, count)
    assert plan.next() == Window(window.end, window.end + following)


def test_a_split_reads_the_first_half_next() -> None:
    plan = planner(START, START + 10 * DAY)
    window = plan.next()
    assert window == Window(START, START + DAY)
    half = plan.split(window)
    assert half == Window(START, START + 12 * HOUR) == plan.next()
    assert plan.split(Window(START, START + timedelta(seconds=1))) is None


def test_progress_is_logged_every_30_seconds_not_once_per_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    logger = logging.getLogger("tap-twin24.calls.test")
    progress = Progress(logger, lambda: f"read up to {now[0]:.0f}", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger=logger.name):
        for _ in range(10_000):  # a page every 10 ms for 100 s
            now[0] += 0.01
            progress.tick()
    assert progress.lines == 3
    assert [record.getMessage() for record in caplog.records] == [
        "read up to 30",
        "read up to 60",
        "read up to 90",
    ]


def _answer(count: int, items: list[dict[str, str]]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps({"count": count, "items": items}).encode()
    return response


def test_the_paginator_reads_on_after_a_change_and_splits_through_the_planner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pages of 2 rows, 10 calls a window at most: a quiet day, 16 calls two minutes apart,
    a quiet day. While a window is paged, its first call is updated and leaves the range,
    shifting the offsets: every call is still delivered once and the planner reaches the end."""
    busy = START + DAY + timedelta(minutes=30)
    rows = [(f"c{i:02}", busy + timedelta(minutes=2 * i)) for i in range(16)]
    everyone = {call_id for call_id, _ in rows}
    end = START + 3 * DAY
    plan = WindowPlanner(START, end, timedelta(hours=24), capacity=10)
    paginator = WindowPaginator(plan, 2, "updatedAt", logging.getLogger("tap-twin24.calls.test"))
    delivered: list[str] = []
    changed = False
    while not paginator.finished:
        page = paginator.current_value
        assert page is not None
        inside = [row for row in rows if page.window.holds(row[1])]
        if page.offset == 2 and not changed:
            rows.remove(inside[0])  # already delivered; now updated after the range
            inside, changed = inside[1:], True
        items = [
            {"id": call_id, "updatedAt": moment.isoformat()}
            for call_id, moment in inside[page.offset : page.offset + 2]
        ]
        response = _answer(len(inside), items)
        if not paginator.splits(response):
            delivered += [item["id"] for item in items if item["id"] not in delivered]
        with caplog.at_level(logging.INFO):
            paginator.advance(response)
    assert changed
    assert sorted(delivered) == sorted(everyone)
    assert plan.cursor == end
    assert plan.splits >= 1
    assert "changed while it was read" in caplog.text
    assert "splitting the period in two" in caplog.text
