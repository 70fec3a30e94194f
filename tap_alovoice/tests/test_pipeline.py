"""The pipeline's decisions, with a scripted client: what is submitted, held back or failed.

No HTTP and no tap process here: each call's answers are given in order, per step, and the
tests read the outcomes and the requests the pipeline sent.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t
from collections import Counter
from dataclasses import replace

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from singer_tap_kit.state import FIX, StateError
from tap_alovoice.calls import CallListError, configured_call_ids
from tap_alovoice.describe import RESULT, SUBMIT
from tap_alovoice.ledger import CallLedger, check_state
from tap_alovoice.lifecycle import CallState
from tap_alovoice.pipeline import Outcome, Pipeline
from tap_alovoice.replies import Kind, Reply
from tap_alovoice.report import AccountError, NoCallKnownError
from tap_alovoice.retries import Trouble, may_have_arrived
from tap_alovoice.schedule import PollPlan, Schedule
from tap_alovoice.timing import AnalysisClock

if t.TYPE_CHECKING:
    from pathlib import Path

ACK = {"begin_time": 1716209468, "aicallid": "664b4741bf0a0a0a0a0a0a0a", "stereoaudio": "/s/1"}
DONE = Reply(Kind.DONE, {**ACK, "stalk": [], "tags": []})
PENDING = Reply(Kind.PENDING, dict(ACK))
NOT_SUBMITTED = Reply(Kind.NOT_FOUND, error="AI analysis not found")
DENIED = Reply(Kind.FAILED, error="Доступ запрещён")  # "access denied", no word "token"
GATEWAY_504 = Trouble("submission of call x: HTTP 504 Gateway Timeout", 0.0, may_have_arrived=True)
RATE_LIMITED = Trouble("submission of call x: HTTP 429", 0.0, may_have_arrived=False)
PLAN = PollPlan(
    max_concurrency=2,
    poll_interval=0.01,
    poll_interval_max=0.02,
    max_wait=2,
    request_timeout=0.05,
    max_retries=2,
)

Answer = Reply | Trouble


class ScriptedClient:
    """Answers each (step, call id) with the next of its scripted answers; the last repeats."""

    def __init__(self, script: t.Mapping[tuple[str, str], t.Sequence[Answer]]) -> None:
        self.script = {key: list(answers) for key, answers in script.items()}
        self.sent: Counter[tuple[str, str]] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def prepare(self, step: str, call_id: str) -> t.Any:
        return (step, call_id)

    def query_result(self, request: t.Any) -> Answer:
        return self._answer(request)

    def submit(self, request: t.Any) -> Answer:
        return self._answer(request)

    def _answer(self, key: tuple[str, str]) -> Answer:
        with self._lock:
            self.sent[key] += 1
            answers = self.script[key]
            return answers.pop(0) if len(answers) > 1 else answers[0]


def run(client: ScriptedClient, call_ids: t.Sequence[str], plan: PollPlan = PLAN) -> list[Outcome]:
    pipeline = Pipeline(client, call_ids, {}, plan, logger=logging.getLogger("test-alovoice"))
    return list(pipeline.outcomes())


def statuses(outcomes: t.Iterable[Outcome]) -> dict[str, str]:
    return {o.call_id: o.status for o in outcomes}


def test_a_5xx_after_a_submission_then_known_is_collected() -> None:
    """The submission arrived despite the 504: the result query after it finds the call."""
    client = ScriptedClient(
        {
            (RESULT, "late"): [NOT_SUBMITTED, PENDING, DONE],
            (SUBMIT, "late"): [GATEWAY_504],
        }
    )

    outcomes = run(client, ["late"])

    assert [o.status for o in outcomes] == [CallState.UNCONFIRMED, "done"]
    assert client.sent[SUBMIT, "late"] == 1, "a call alovoice knows is never submitted again"
    ledger = CallLedger()
    for outcome in outcomes:
        ledger.record(outcome)
    state = ledger.state(["late"])
    assert state["done_call_ids"] == ["late"]
    assert state["unconfirmed_call_ids"] == {}


def test_a_5xx_after_a_submission_then_unknown_is_resubmitted_once() -> None:
    """Unknown right after the 504, and still unknown request_timeout after it: resubmitted."""
    client = ScriptedClient(
        {
            (RESULT, "lost"): [NOT_SUBMITTED, NOT_SUBMITTED, NOT_SUBMITTED, PENDING, DONE],
            (SUBMIT, "lost"): [GATEWAY_504, PENDING],
        }
    )
    plan = replace(PLAN, request_timeout=0.3)
    started = time.monotonic()

    outcomes = run(client, ["lost"], plan)

    assert [o.status for o in outcomes] == [CallState.UNCONFIRMED, "done"]
    assert client.sent[SUBMIT, "lost"] == 2
    assert client.sent[RESULT, "lost"] == 5, "asked, looked after the 504, looked once settled"
    assert time.monotonic() - started >= plan.request_timeout, "not submitted again before"


def test_a_resubmission_waits_until_request_timeout_has_passed() -> None:
    """An unknown call is asked again request_timeout after the failed submission, as alovoice
    may still register it; one known then is collected, never submitted twice."""
    client = ScriptedClient(
        {
            (RESULT, "slow"): [NOT_SUBMITTED, NOT_SUBMITTED, PENDING, DONE],
            (SUBMIT, "slow"): [GATEWAY_504],
        }
    )

    outcomes = run(client, ["slow"], replace(PLAN, request_timeout=0.2))

    assert [o.status for o in outcomes] == [CallState.UNCONFIRMED, "done"]
    assert client.sent[SUBMIT, "slow"] == 1


def test_failed_submissions_are_bounded_then_left_for_the_next_run() -> None:
    client = ScriptedClient(
        {
            (RESULT, "lost"): [NOT_SUBMITTED],
            (SUBMIT, "lost"): [GATEWAY_504],
            (RESULT, "known"): [DONE],
        }
    )

    outcomes = run(client, ["lost", "known"])

    assert client.sent[SUBMIT, "lost"] == 1 + PLAN.max_retries
    assert [o.status for o in outcomes if o.call_id == "lost"] == [CallState.UNCONFIRMED] * 3
    ledger = CallLedger()
    for outcome in outcomes:
        ledger.record(outcome)
    state = ledger.state(["lost", "known"])
    assert state["done_call_ids"] == ["known"]
    assert list(state["unconfirmed_call_ids"]) == ["lost"]
    assert CallLedger.from_state(state).to_collect([]) == ["lost"], "kept even when unlisted"


def test_a_submission_that_cannot_have_arrived_is_sent_again_after_a_query() -> None:
    client = ScriptedClient(
        {
            (RESULT, "a"): [NOT_SUBMITTED, NOT_SUBMITTED, PENDING, DONE],
            (SUBMIT, "a"): [RATE_LIMITED, PENDING],
        }
    )

    outcomes = run(client, ["a"])

    assert [(o.call_id, o.status) for o in outcomes] == [("a", "done")]
    assert client.sent[SUBMIT, "a"] == 2


def test_failures_wait_until_alovoice_is_seen_to_know_a_call() -> None:
    client = ScriptedClient(
        {
            (RESULT, "broken"): [DENIED],
            (RESULT, "known"): [PENDING, DONE],
        }
    )

    outcomes = run(client, ["broken", "known"], replace(PLAN, max_concurrency=1))

    assert statuses(outcomes) == {"broken": "failed", "known": "done"}
    failed = next(o for o in outcomes if o.status == "failed")
    assert failed.error == "Доступ запрещён"


def test_one_error_text_for_three_calls_none_known_ends_the_run() -> None:
    ids = ["a", "b", "c"]
    client = ScriptedClient({(RESULT, i): [DENIED] for i in ids})
    pipeline = Pipeline(client, ids, {}, PLAN, logger=logging.getLogger("test-alovoice"))
    seen: list[Outcome] = []

    with pytest.raises(AccountError, match="answered 'Доступ запрещён' for 3 calls"):
        seen.extend(pipeline.outcomes())

    assert seen == [], "nothing is recorded as failed"
    assert sum(client.sent.values()) == 3


def test_a_refused_submission_is_left_for_the_next_run() -> None:
    refused = Reply(Kind.FAILED, error="Balance is exhausted")
    client = ScriptedClient(
        {
            (RESULT, "new"): [NOT_SUBMITTED],
            (SUBMIT, "new"): [refused],
            (RESULT, "known"): [DONE],
        }
    )

    outcomes = run(client, ["new", "known"])

    assert statuses(outcomes) == {"known": "done"}, "the refused call gets no failed row"
    assert client.sent[SUBMIT, "new"] == 1


def test_fewer_than_three_failures_none_known() -> None:
    """ "Not found" is about the call; another text may be about the account: left for later."""
    client = ScriptedClient(
        {
            (RESULT, "unknown"): [Reply(Kind.NOT_FOUND, error="Call not found")],
            (SUBMIT, "unknown"): [Reply(Kind.NOT_FOUND, error="Call not found")],
            (RESULT, "denied"): [DENIED],
        }
    )

    outcomes = run(client, ["unknown", "denied"])

    assert statuses(outcomes) == {"unknown": "failed"}


@pytest.mark.parametrize("known", [False, True])
def test_calls_left_alone_count_as_unknown_when_none_is_known(known: bool) -> None:
    ids = ["a", "b", "c", "d"]
    script: dict[tuple[str, str], list[Answer]] = {(RESULT, i): [NOT_SUBMITTED] for i in ids}
    if known:
        script[RESULT, "d"] = [DONE]
    client = ScriptedClient(script)
    plan = replace(PLAN, submit=False)

    if known:
        assert statuses(run(client, ids, plan)) == {"d": "done"}
    else:
        with pytest.raises(NoCallKnownError, match=r"knows none of the 4 calls .* submits nothing"):
            run(client, ids, plan)
    assert not any(step == SUBMIT for step, _ in client.sent)


def test_no_moment_to_wake_for_once_the_deadline_has_passed() -> None:
    schedule = Schedule(PLAN, [], AnalysisClock(PLAN.poll_interval, PLAN.poll_interval_max))
    now = time.monotonic()
    schedule.query_at(now - 1, "a")  # overdue, but never sent after the deadline
    schedule.deadline = now + 5
    assert schedule.next_moment(now) == now - 1
    schedule.deadline = now - 0.1
    assert schedule.next_moment(now) is None
    assert schedule.next_request(now) is None


def _refused_connection() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def _answered(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(response=response)


@pytest.mark.parametrize(
    ("exception", "arrived"),
    [
        (_answered(504), True),
        (_answered(500), True),
        (_answered(200), True),  # a cut or unreadable body
        (_answered(429), False),
        (_answered(408), False),
        (requests.ReadTimeout(), True),
        (requests.exceptions.ChunkedEncodingError(), True),
        (requests.ConnectionError("Connection aborted."), True),
        (requests.ConnectTimeout(), False),
        (_refused_connection(), False),
    ],
)
def test_which_failures_may_hide_a_submission(exception: Exception, arrived: bool) -> None:
    assert may_have_arrived(exception) is arrived


@pytest.mark.parametrize(
    ("state", "named"),
    [
        ({"pending_call_ids": ["1", "2"]}, "pending_call_ids must be an object"),
        ({"done_call_ids": "1"}, "done_call_ids must be a list of call ids"),
        ({"failed_call_ids": [1, 2]}, "failed_call_ids must be a list of call ids"),
        ({"pending_call_ids": {"1": 5}}, "pending_call_ids must be an object"),
        ({"unconfirmed_call_ids": []}, "unconfirmed_call_ids must be an object"),
    ],
)
def test_a_malformed_state_is_named(state: dict[str, t.Any], named: str) -> None:
    with pytest.raises(StateError, match=named):
        CallLedger.from_state(state)


@pytest.mark.parametrize(
    ("state", "named"),
    [
        (["x"], "it is a list (['x']), not an object"),
        ({"bookmarks": []}, "bookmarks must be an object, not a list ([])"),
        ({"bookmarks": {"analyses": "x"}}, "bookmarks.analyses must be an object, not a string"),
        ({"bookmarks": {"tags": []}}, "bookmarks.tags must be an object"),
        (
            {"bookmarks": {"analyses": {"done_call_ids": [1]}}},
            "bookmarks.analyses.done_call_ids must be a list of call ids",
        ),
    ],
)
def test_a_malformed_state_is_one_line_that_says_what_to_do(state: t.Any, named: str) -> None:
    with pytest.raises(StateError) as failure:
        check_state(state, "analyses")
    text = str(failure.value)
    assert text.startswith(f"cannot use --state: {named}"), text
    assert text.endswith(FIX)


def test_a_state_written_by_the_tap_reads_back() -> None:
    state = {
        "done_call_ids": ["1"],
        "failed_call_ids": [],
        "pending_call_ids": {"2": "2025-05-01T09:12:44+00:00"},
    }
    ledger = CallLedger.from_state(state)
    assert (ledger.done, ledger.failed, ledger.pending, ledger.unconfirmed) == (
        {"1"},
        set(),
        {"2": "2025-05-01T09:12:44+00:00"},
        {},
    )


def test_an_empty_call_list_is_an_error(tmp_path: Path) -> None:
    comments = tmp_path / "calls.txt"
    comments.write_text("# nothing exported yet\n\n", encoding="utf-8")
    with pytest.raises(CallListError, match="call_ids: the list is empty"):
        configured_call_ids({"call_ids": []})
    with pytest.raises(CallListError, match=f"call_ids_file: {comments} lists no call id"):
        configured_call_ids({"call_ids_file": str(comments)})
    with pytest.raises(CallListError, match="call_ids, call_ids_file: the list is empty"):
        configured_call_ids({"call_ids": [" "], "call_ids_file": str(comments)})
