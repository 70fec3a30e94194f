"""When each request goes out: checks first, a poll overdue by poll_interval_max ahead of
everything, first polls in submission order once the learned duration has passed, nothing
timed after the deadline. Times are given, never waited for."""

from __future__ import annotations

import pytest

from tap_alovoice.describe import RESULT, SUBMIT
from tap_alovoice.schedule import PollPlan, Schedule
from tap_alovoice.timing import AnalysisClock

PLAN = PollPlan(poll_interval=1.0, poll_interval_max=10.0, max_wait=100.0)
NOW = 1000.0


def schedule_of(call_ids: list[str], *, learned: float | None = 5.0) -> Schedule:
    clock = AnalysisClock(PLAN.poll_interval, PLAN.poll_interval_max, learned, most=100.0)
    return Schedule(PLAN, call_ids, clock)


def drain(schedule: Schedule, now: float) -> list[tuple[str, str]]:
    sent = []
    while (task := schedule.next_request(now)) is not None:
        sent.append(task)
    return sent


def test_every_call_is_checked_first_in_the_order_given() -> None:
    assert drain(schedule_of(["a", "b", "c"]), NOW) == [("a", RESULT), ("b", RESULT), ("c", RESULT)]


def test_a_call_found_never_submitted_is_submitted_before_the_next_check() -> None:
    schedule = schedule_of(["a", "b"])
    assert schedule.next_request(NOW) == ("a", RESULT)
    schedule.submit("a")
    assert drain(schedule, NOW) == [("a", SUBMIT), ("b", RESULT)]


def test_a_due_poll_waits_behind_the_checks() -> None:
    schedule = schedule_of(["a", "b"])
    schedule.query_at(NOW - 1, "p")
    assert drain(schedule, NOW) == [("a", RESULT), ("b", RESULT), ("p", RESULT)]


@pytest.mark.parametrize(
    ("overdue", "first"),
    [
        pytest.param(9.999, "a", id="less-than-poll-interval-max-late"),
        pytest.param(10.0, "p", id="poll-interval-max-late-goes-first"),
    ],
)
def test_a_poll_overdue_by_poll_interval_max_goes_ahead_of_the_checks(
    overdue: float, first: str
) -> None:
    schedule = schedule_of(["a"])
    schedule.query_at(NOW - overdue, "p")
    assert schedule.next_request(NOW) == (first, RESULT)


def test_a_poll_not_yet_due_is_not_sent_and_its_moment_is_the_next() -> None:
    schedule = schedule_of([])
    schedule.query_at(NOW + 3, "p")
    assert schedule.next_request(NOW) is None
    assert schedule.next_moment(NOW) == NOW + 3
    assert schedule.next_request(NOW + 3) == ("p", RESULT)


def test_a_poll_brought_forward_is_sent_once_at_the_earlier_moment() -> None:
    schedule = schedule_of([])
    schedule.query_at(NOW + 30, "p")
    schedule.bring_forward(NOW + 5, "p")
    schedule.bring_forward(NOW + 50, "p")  # later: changes nothing
    assert schedule.next_moment(NOW) == NOW + 5
    assert drain(schedule, NOW + 5) == [("p", RESULT)]
    assert drain(schedule, NOW + 30) == [], "the later entry is dropped"
    assert schedule.finished(NOW + 30)


def test_bring_forward_ignores_a_call_with_no_poll_waiting() -> None:
    schedule = schedule_of([])
    schedule.bring_forward(NOW, "p")
    assert schedule.next_request(NOW) is None


def test_a_first_poll_waits_for_the_learned_duration_after_the_submission() -> None:
    schedule = schedule_of([], learned=5.0)
    schedule.first_query(NOW, "s")
    assert schedule.next_moment(NOW) == NOW + 5.0
    assert schedule.next_request(NOW + 4.999) is None
    assert schedule.next_request(NOW + 5.0) == ("s", RESULT)


def test_while_no_analysis_is_timed_one_first_poll_at_a_time() -> None:
    """Its answer moves the learned duration before the next first poll is sent."""
    schedule = schedule_of([], learned=None)
    schedule.first_query(NOW, "s1")
    schedule.first_query(NOW, "s2")
    later = NOW + 100
    assert schedule.next_request(later) == ("s1", RESULT)
    assert schedule.probe == "s1"
    assert schedule.next_request(later) is None, "s2 waits for the answer about s1"
    schedule.probe = None  # the answer came (the pipeline clears it)
    assert schedule.next_request(later) == ("s2", RESULT)


def test_nothing_timed_goes_out_after_the_deadline() -> None:
    schedule = schedule_of([])
    schedule.query_at(NOW + 1, "p")
    schedule.deadline = NOW + 2
    assert schedule.next_moment(NOW) == NOW + 1
    assert schedule.next_request(NOW + 2) is None
    assert schedule.next_moment(NOW + 2) is None
    assert schedule.finished(NOW + 2)


def test_checks_still_go_out_after_the_deadline() -> None:
    """A call found never submitted late in the run is still submitted."""
    schedule = schedule_of([])
    schedule.deadline = NOW
    schedule.submit("a")
    assert not schedule.finished(NOW + 1)
    assert schedule.next_request(NOW + 1) == ("a", SUBMIT)


def test_finished_once_nothing_is_left_to_send() -> None:
    schedule = schedule_of(["a"])
    assert not schedule.finished(NOW)
    schedule.next_request(NOW)
    assert schedule.finished(NOW)
    schedule.first_query(NOW, "s")
    assert not schedule.finished(NOW), "a first poll is waiting"
