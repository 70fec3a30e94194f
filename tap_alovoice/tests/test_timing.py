"""When the first result query of a call goes out: after the analysis time the run has seen.

A client whose analyses take a set time answers as alovoice would, and records when each request
was sent; times are scaled down (1 s of the tap's defaults is SCALE s here).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import typing as t
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest

from singer_tap_kit.state import StateError
from tap_alovoice.describe import RESULT, SUBMIT
from tap_alovoice.ledger import CallLedger, check_state
from tap_alovoice.pipeline import Outcome, Pipeline
from tap_alovoice.replies import Kind, Reply
from tap_alovoice.schedule import PollPlan, Schedule
from tap_alovoice.timing import FLOOR, AnalysisClock

if t.TYPE_CHECKING:
    from tap_alovoice.retries import Trouble

SCALE = 0.02
DEFAULTS = PollPlan()  # the tap's default settings, in seconds
PLAN = replace(
    DEFAULTS,
    poll_interval=DEFAULTS.poll_interval * SCALE,
    poll_interval_max=DEFAULTS.poll_interval_max * SCALE,
    request_timeout=1,
)
ACK = {"begin_time": 1716209468, "aicallid": "664b4741bf0a0a0a0a0a0a0a", "stereoaudio": "/s/1"}


class AnalysingClient:
    """alovoice with analyses that take ``seconds`` from their submission."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.stopping = threading.Event()
        self.submitted: dict[str, float] = {}
        self.sent: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self._lock = threading.Lock()

    def prepare(self, step: str, call_id: str) -> t.Any:
        return (step, call_id)

    def query_result(self, request: t.Any) -> Reply | Trouble:
        _, call_id = request
        now = self._note(request)
        with self._lock:
            since = self.submitted.get(call_id)
        if since is None:
            return Reply(Kind.NOT_FOUND, error="AI analysis not found")
        if now - since < self.seconds:
            return Reply(Kind.PENDING, dict(ACK))
        return Reply(Kind.DONE, {**ACK, "stalk": [], "tags": []})

    def submit(self, request: t.Any) -> Reply | Trouble:
        now = self._note(request)
        with self._lock:
            self.submitted.setdefault(request[1], now)
        return Reply(Kind.PENDING, dict(ACK))

    def _note(self, request: tuple[str, str]) -> float:
        now = time.monotonic()
        with self._lock:
            self.sent[request[1]].append((request[0], now))
        return now

    def first_query_ages(self) -> list[float]:
        """Seconds from each call's submission to its first result query after it."""
        ages = []
        for requests in self.sent.values():
            submitted = next(when for step, when in requests if step == SUBMIT)
            ages.append(next(w - submitted for step, w in requests if w > submitted))
        return ages

    def requests_per_call(self) -> float:
        return sum(len(r) for r in self.sent.values()) / len(self.sent)


def collect(
    client: AnalysingClient, calls: int, plan: PollPlan = PLAN, carried: float | None = None
) -> tuple[list[Outcome], Pipeline]:
    ids = [f"call-{n}" for n in range(calls)]
    pipeline = Pipeline(
        client, ids, {}, plan, logger=logging.getLogger("test-alovoice"), analysis_seconds=carried
    )
    outcomes = list(pipeline.outcomes())
    assert sorted(o.call_id for o in outcomes if o.status == "done") == sorted(ids)
    return outcomes, pipeline


def old_rule_requests(analysis: float, first: float = 5.0, growth: float = 1.5) -> int:
    """Requests per call of a fixed first poll growing 1.5 times (poll_interval 5 s, capped at
    60 s): ask, submit, then every poll up to the one that finds the result."""
    polls, at, wait = 0, 0.0, first
    while at < analysis:
        at, wait, polls = at + wait, min(wait * growth, 60.0), polls + 1
    return 2 + polls


def test_first_query_timed_from_learned_duration() -> None:
    """Carried from the last run: every first query goes out after it, and finds its result."""
    analysis = 0.3
    client = AnalysingClient(analysis)

    _, pipeline = collect(client, 6, carried=analysis * 1.1)

    ages = client.first_query_ages()
    assert min(ages) >= analysis, ages
    assert max(ages) < analysis * 2, ages
    assert client.requests_per_call() == 3, "ask, submit, collect: no query too early"
    learned = pipeline.clock.learned
    assert learned is not None
    assert learned <= analysis * 1.1


def test_first_queries_learn_the_duration_within_the_run() -> None:
    """From the first guess, the first queries double their wait until one finds a result;
    the learned duration is then close above the analysis time, and is kept for the state."""
    analysis = 0.4
    client = AnalysingClient(analysis)

    _, pipeline = collect(client, 30)

    learned = pipeline.clock.learned
    assert learned is not None
    assert analysis / 1.3 <= learned <= analysis * 2.2
    late = sorted(client.first_query_ages())[-10:]
    assert max(late) < analysis * 2.5, late


def test_learned_duration_is_bounded() -> None:
    clock = AnalysisClock(1.0, 60.0, most=900.0)
    for _ in range(20):
        clock.observe(10_000.0, done=False)
    assert clock.seconds == 900.0, "never longer than max_wait"
    assert clock.next_wait(950.0, 3) == 60.0, "nor a wait between two queries"
    for _ in range(1000):
        clock.observe(0.0, done=True)
    assert clock.seconds == FLOOR
    assert AnalysisClock(1.0, 60.0, carried=1e9, most=900.0).seconds == 900.0
    assert AnalysisClock(1.0, 60.0, carried=1e9).seconds == 60.0
    assert AnalysisClock(1.0, 60.0, carried=0.0).seconds == FLOOR
    assert AnalysisClock(1.0, 60.0).learned is None, "nothing timed: nothing kept"


def test_sixty_second_analyses_cost_no_more_requests() -> None:
    """A 60 s analysis under the default settings (scaled): fewer requests than the fixed rule."""
    today = old_rule_requests(60.0)
    assert today == 7
    client = AnalysingClient(60.0 * SCALE)

    _, pipeline = collect(client, 40)

    assert client.requests_per_call() <= today, client.requests_per_call()
    learned = pipeline.clock.learned
    assert learned is not None
    assert 0.8 * 60.0 * SCALE <= learned <= 2.2 * 60.0 * SCALE, "overshoots by 2 at most"


def test_the_state_carries_the_learned_duration() -> None:
    ledger = CallLedger.from_state({"done_call_ids": ["1"]})
    assert ledger.analysis_seconds is None, "a state from before reads as before"
    assert "analysis_ms" not in ledger.state(["1"])
    ledger.analysis_seconds = 2.5004
    saved = ledger.state(["1"])
    assert saved["analysis_ms"] == 2500
    assert type(saved["analysis_ms"]) is int, "a fraction in the state breaks SDK targets"
    assert CallLedger.from_state(saved).analysis_seconds == 2.5
    read_back = {"analysis_ms": Decimal("523")}  # how the SDK reads a state's numbers
    assert CallLedger.from_state(read_back).analysis_seconds == 0.523


@pytest.mark.parametrize(
    "value", ["2500", -1, 2.5, Decimal("0.5"), True, [], math.nan, Decimal("NaN"), math.inf]
)
def test_a_malformed_learned_duration_is_one_line(value: object) -> None:
    state = {"bookmarks": {"analyses": {"analysis_ms": value}}}
    with pytest.raises(StateError) as failure:
        check_state(state, "analyses")
    text = str(failure.value)
    assert "bookmarks.analyses.analysis_ms must be a whole number of milliseconds" in text
    assert "\n" not in text


def test_first_queries_follow_submissions_in_order() -> None:
    """A call submitted later is never asked before one submitted earlier, whatever the
    learned duration does meanwhile, nor whatever order the acknowledgements came in."""
    clock = AnalysisClock(5.0, 60.0, carried=5.0)
    schedule = Schedule(PLAN, [], clock)
    now = time.monotonic()
    for call_id, submitted in [("b", now - 2), ("a", now - 3), ("c", now - 1)]:
        schedule.first_query(submitted, call_id)
    assert schedule.next_request(now) is None, "none is 5 s old yet"
    clock.seconds = 0.5
    assert schedule.next_moment(now) == pytest.approx(now - 2.5)
    assert [schedule.next_request(now) for _ in range(4)] == [
        ("a", RESULT),
        ("b", RESULT),
        ("c", RESULT),
        None,
    ]
