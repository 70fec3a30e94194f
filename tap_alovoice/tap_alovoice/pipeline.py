"""Collects analyses concurrently, and hands each one over as soon as it is done.

alovoice bills every submission, and only alovoice knows for certain what was submitted (a
run can be killed between a submission and the state that records it). So each call starts
with a result query: "not found" means never submitted, and only then is the call submitted.
A call's states, and what each answer moves it to, are the table in lifecycle.py; this module
carries out its actions.

A submission that may have arrived is settled by asking alovoice. After a 5xx (often a
proxy's, while alovoice goes on), a timeout, a dropped connection or a cut answer, the call is
"unconfirmed" (the state keeps it at once, for a run killed now) and its result is asked for
after the retry wait: a call alovoice knows is collected. alovoice may still register the
submission later, while it handles the request, so a call it does not know is asked about again
request_timeout after the failure (the tap's own limit for a request to be handled), and only
a call still unknown then is submitted again, at most max_retries times; after that it is left
for the next run, which asks for its result before it submits it. A submission that cannot have
arrived (429, 408, no connection) is sent again after a result query too. A submission that
alovoice refuses with an error text is left for the next run.

Error answers are held back while alovoice is seen to know none of the run's calls: "not found"
for three or more calls then means a wrong api_url or call list, and the same error text for
three or more calls an error about the account (such as a token refused in words the tap does
not recognise). Either ends the run, and no call is recorded as failed.

The scheduler runs in the calling thread and keeps at most `max_concurrency` requests in
flight in a pool of daemon threads (see schedule.py for the order): when the run ends early, a
request still in flight does not hold the process up, and a worker waiting to retry stops at
once. Outcomes are yielded from the calling thread as they arrive, so each row is written as
soon as its result is in.
"""

from __future__ import annotations

import queue
import threading
import time
import typing as t
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from tap_alovoice.lifecycle import (
    Action,
    CallState,
    Rule,
    event_of,
    guards,
    initial_state,
    next_rule,
)
from tap_alovoice.replies import Kind, Reply
from tap_alovoice.report import RunReport
from tap_alovoice.retries import Trouble
from tap_alovoice.schedule import PollPlan, Schedule
from tap_alovoice.timing import AnalysisClock

if t.TYPE_CHECKING:
    import logging

    import requests

# With this many calls unknown to alovoice (or failed with one text) and none known, the URL,
# the list or the account is wrong.
ALL_UNKNOWN = 3


class Client(t.Protocol):
    stopping: threading.Event

    def prepare(self, step: str, call_id: str) -> requests.PreparedRequest: ...
    def query_result(self, request: requests.PreparedRequest) -> Reply | Trouble: ...
    def submit(self, request: requests.PreparedRequest) -> Reply | Trouble: ...


@dataclass(frozen=True)
class Outcome:
    """A call's state at the end of its part of the run: DONE, FAILED or PENDING, a row each.

    UNCONFIRMED is no row: a submission that may or may not have reached alovoice, for the
    state to keep until a later result query settles it (``since``: when it failed). For a
    PENDING call, ``since`` is when it was first known to be submitted.
    """

    call_id: str
    status: CallState
    answer: t.Mapping[str, t.Any] | None = None
    error: str | None = None
    since: str | None = None


@dataclass
class _Call:
    call_id: str
    pending_since: str | None  # known to be submitted since then (UTC)
    state: CallState = CallState.NEW
    answer: t.Mapping[str, t.Any] | None = None
    polls: int = 0
    failed_submissions: int = 0
    submitted_at: float | None = None  # acknowledged in this run then (monotonic)
    unconfirmed_at: float | None = None  # a submission that may have arrived failed then
    asked_at: float = 0.0  # the last request about the call was sent then (monotonic)


class Pipeline:
    """One run's calls, from the first result query to done, failed or still pending."""

    def __init__(
        self,
        client: Client,
        call_ids: t.Sequence[str],
        pending: t.Mapping[str, str],
        plan: PollPlan,
        *,
        logger: logging.Logger,
        where: str = "alovoice",
        analysis_seconds: float | None = None,
    ) -> None:
        self.client, self.plan, self.logger = client, plan, logger
        self.calls = {i: _Call(i, pending.get(i), initial_state(pending.get(i))) for i in call_ids}
        # The duration the last run learned, if any; the first guess otherwise.
        self.clock = AnalysisClock(
            plan.poll_interval, plan.poll_interval_max, analysis_seconds, most=plan.max_wait
        )
        self.schedule = Schedule(plan, call_ids, self.clock)
        self.unchecked = set(self.calls)  # see lifecycle.CHECKED
        if not self.calls:
            self.schedule.deadline = time.monotonic()
        self.waiting: dict[str, None] = {}  # PENDING calls, in the order they became so
        # Held back until alovoice is seen to know a call of the run:
        self.held: list[tuple[Kind, Outcome]] = []  # failed calls, NOT_FOUND or FAILED
        self.left_alone: list[tuple[str, str | None]] = []  # never submitted, submit is false
        self.refused: list[tuple[str, str]] = []  # submissions refused with an error text
        self.unconfirmed: set[str] = set()  # submissions that may or may not have arrived
        self.report = RunReport(logger, where, plan.max_retries)
        self.inflight: dict[Future[Reply | Trouble], tuple[str, str]] = {}

    def outcomes(self) -> t.Iterator[Outcome]:
        """Done and failed calls as they come, then the calls still pending at the end.

        Unconfirmed submissions come as soon as they happen, for the state only.
        """
        self.client.stopping.clear()
        pool = _Workers(self.plan.max_concurrency)
        try:
            while True:
                self._dispatch(pool)
                if not self.inflight and self.schedule.finished(time.monotonic()):
                    break
                for future in self._wait_for_answers():
                    yield from self._settle(future)
                next_query = self.schedule.next_moment(time.monotonic())
                self.report.progress(len(self.waiting), len(self.unchecked), next_query)
            if self.report.counts["answered"] == 0 and self.report.counts["gave up"]:
                raise self.report.unavailable()
            yield from self._release_held(final=True)
            for call_id in self.waiting:
                call = self.calls[call_id]
                pending = Outcome(call_id, CallState.PENDING, call.answer, None, call.pending_since)
                yield self._count(pending)
            self.report.summary(len(self.waiting), len(self.unconfirmed), len(self.refused))
        finally:
            self.client.stopping.set()
            pool.shutdown()

    def _dispatch(self, pool: _Workers) -> None:
        now = time.monotonic()
        while len(self.inflight) < self.plan.max_concurrency:
            task = self.schedule.next_request(now)
            if task is None:
                return
            call_id, step = task
            self.calls[call_id].asked_at = now
            request = self.client.prepare(step, call_id)
            submitting = self.calls[call_id].state is CallState.SUBMITTING
            send = self.client.submit if submitting else self.client.query_result
            self.inflight[pool.submit(send, request)] = task

    def _wait_for_answers(self) -> set[Future[Reply | Trouble]]:
        now = time.monotonic()
        moments = [self.report.next_progress]
        next_moment = self.schedule.next_moment(now)
        if next_moment is not None and len(self.inflight) < self.plan.max_concurrency:
            moments.append(next_moment)
        timeout = max(min(moments) - now, 0.0)
        if not self.inflight:
            time.sleep(timeout)
            return set()
        return wait(self.inflight, timeout=timeout, return_when=FIRST_COMPLETED).done

    def _settle(self, future: Future[Reply | Trouble]) -> t.Iterator[Outcome]:
        """Move the call along the lifecycle table by the answer, and act on the move."""
        call_id, _ = self.inflight.pop(future)
        if call_id == self.schedule.probe:
            self.schedule.probe = None
        call, result = self.calls[call_id], future.result()
        event = event_of(result)
        if isinstance(result, Trouble):
            if call.state is CallState.SUBMITTING:
                call.failed_submissions += 1
        else:
            yield from self._answered(call, result)
        holding = guards(
            submit=self.plan.submit,
            failed_submissions=call.failed_submissions,
            max_retries=self.plan.max_retries,
            asked_at=call.asked_at,
            unconfirmed_at=call.unconfirmed_at,
            request_timeout=self.plan.request_timeout,
        )
        rule = next_rule(call.state, event, holding)
        call.state = rule.then
        yield from self._act(call, rule, result)

    def _answered(self, call: _Call, result: Reply) -> t.Iterator[Outcome]:
        """What any answer tells, whatever the call's state: whether alovoice knows the call,
        and, for a result query, how long analyses take."""
        self.report.answered(known=result.answer is not None)
        if result.answer is not None:
            self.unconfirmed.discard(call.call_id)
            call.unconfirmed_at = None
            yield from self._release_held()
        if call.state is not CallState.SUBMITTING:
            self._time(call, result.kind)

    def _act(self, call: _Call, rule: Rule, result: Reply | Trouble) -> t.Iterator[Outcome]:
        if isinstance(result, Trouble):
            yield from self._act_on_trouble(call, rule.action, result)
            return
        call_id, action = call.call_id, rule.action
        if action is Action.COLLECT:
            yield self._count(self._final(call, Outcome(call_id, CallState.DONE, result.answer)))
        elif action in {Action.WAIT, Action.WAIT_FIRST}:
            call.answer = result.answer
            self._wait_for_result(call, submitted=action is Action.WAIT_FIRST)
        elif action is Action.REFUSED:
            self._submission_refused(call, result.error or "")
        elif action is Action.SUBMIT:
            if call.unconfirmed_at is not None:
                self._resubmitting(call)
            self.schedule.submit(call_id)
        elif action is Action.LEAVE_ALONE:
            self._left_alone(call, result.error)
        elif action is Action.ASK_AGAIN_LATER:
            # The guard TOO_SOON holds only while the failure's time is known.
            failed_at = call.unconfirmed_at if call.unconfirmed_at is not None else call.asked_at
            self.schedule.query_at(failed_at + self.plan.request_timeout, call_id)
        elif action is Action.ABANDON:
            self._abandoned(call)
        else:  # Action.FAIL
            yield from self._failed(call, result)

    def _act_on_trouble(self, call: _Call, action: Action, trouble: Trouble) -> t.Iterator[Outcome]:
        """A request that got no answer (the client's retries of a result query are spent)."""
        if action is Action.DOUBT:
            yield self._doubt(call, trouble)
        elif action is Action.ASK_BEFORE_RESENDING:
            self._ask_before_resending(trouble)
            self.schedule.query_at(time.monotonic() + trouble.wait, call.call_id)
        else:  # Action.GIVE_UP
            self._gave_up(call, trouble)

    def _failed(self, call: _Call, result: Reply) -> t.Iterator[Outcome]:
        answer = result.answer or call.answer  # an error body loses the acknowledgement
        failed = self._final(call, Outcome(call.call_id, CallState.FAILED, answer, result.error))
        if self.report.counts["known"]:
            self.logger.warning("Call %s: %s; recorded as failed", call.call_id, result.error)
            yield self._count(failed)
        else:
            self.held.append((result.kind, failed))

    def _release_held(self, *, final: bool = False) -> t.Iterator[Outcome]:
        """Held-back failures are failed calls once alovoice is seen to know some call.

        At the end of a run in which it knew none: three or more calls unknown, or failed with
        one text, end the run; fewer unknown calls are failed calls, and other failures are left
        for the next run, as they may be about the account rather than the calls.
        """
        known = bool(self.report.counts["known"])
        if not known and not final:
            return
        if not known:
            self._stop_if_nothing_known()
        for kind, outcome in self.held:
            if known or kind is Kind.NOT_FOUND:
                self.logger.warning(
                    "Call %s: %s; recorded as failed", outcome.call_id, outcome.error
                )
                yield self._count(outcome)
            else:
                self.logger.warning(
                    "Call %s: %s; alovoice knew no call of this run, so this may be about the "
                    "account rather than the call: not recorded as failed, the next run asks again",
                    outcome.call_id,
                    outcome.error,
                )
        self.held.clear()

    def _stop_if_nothing_known(self) -> None:
        texts = Counter(o.error or "" for kind, o in self.held if kind is Kind.FAILED)
        texts.update(text for _, text in self.refused)
        if texts:
            text, count = texts.most_common(1)[0]
            if count >= ALL_UNKNOWN:
                raise self.report.account_error(text, count)
        unknown = [(o.call_id, o.error) for kind, o in self.held if kind is Kind.NOT_FOUND]
        unknown += self.left_alone
        if len(unknown) >= ALL_UNKNOWN:
            raise self.report.none_known(unknown, submitting=self.plan.submit)

    def _count(self, outcome: Outcome) -> Outcome:
        self.report.counts[outcome.status.value] += 1
        return outcome

    def _left_alone(self, call: _Call, error: str | None) -> None:
        self.logger.info(
            "Call %s was never submitted for analysis; submit is false, so it is left alone",
            call.call_id,
        )
        self.left_alone.append((call.call_id, error))
        self.report.counts["left alone"] += 1
        self._checked(call)

    def _wait_for_result(self, call: _Call, *, submitted: bool = False) -> None:
        """Ask again: a call just submitted once analyses usually are done (see timing.py),
        one found still being analysed when it is older than that or half as old again."""
        if call.pending_since is None:
            call.pending_since = _utc_now()
        self.waiting[call.call_id] = None
        self._checked(call)
        if submitted:
            call.submitted_at = call.asked_at
            self.schedule.first_query(call.asked_at, call.call_id)
        else:
            wait = self.clock.next_wait(_age(call), call.polls)
            self.schedule.query_at(time.monotonic() + wait, call.call_id)
            call.polls += 1

    def _time(self, call: _Call, kind: Kind) -> None:
        """A result query of a call submitted in this run tells how long analyses take."""
        if call.submitted_at is None or kind not in {Kind.DONE, Kind.PENDING}:
            return
        searching = self.clock.searching
        age = call.asked_at - call.submitted_at
        self.clock.observe(age, done=kind is Kind.DONE, first=call.polls == 0)
        if searching and not self.clock.searching:
            self._bring_forward()

    def _bring_forward(self) -> None:
        """Once an analysis was timed, calls asked at growing intervals meanwhile are asked
        when the learned duration has passed, if that is sooner."""
        for call_id in self.waiting:
            call = self.calls[call_id]
            if call.submitted_at is not None and call.polls:
                self.schedule.bring_forward(call.submitted_at + self.clock.seconds, call_id)

    def _final(self, call: _Call, outcome: Outcome) -> Outcome:
        self.waiting.pop(call.call_id, None)
        self._checked(call)
        return outcome

    def _checked(self, call: _Call) -> None:
        """The call's status is known; once every call's is, the wait for results begins."""
        if call.call_id not in self.unchecked:
            return
        self.unchecked.discard(call.call_id)
        if not self.unchecked:
            self.schedule.deadline = time.monotonic() + self.plan.max_wait
            if self.waiting:
                self.logger.info(
                    "Every call is checked; waiting up to %.0f s for %d analyses",
                    self.plan.max_wait,
                    len(self.waiting),
                )

    def _doubt(self, call: _Call, trouble: Trouble) -> Outcome:
        """A submission that may have arrived failed: unconfirmed, for the state at once, and
        its result is asked for after the retry wait."""
        now = time.monotonic()
        call.unconfirmed_at = now
        self.unconfirmed.add(call.call_id)
        pause = min(trouble.wait, self.plan.request_timeout)
        self.logger.warning(
            "%s; alovoice may have received it, so its result is asked for in %.1f s: a "
            "call alovoice knows is collected, and one it still does not know %.0f s after "
            "this failure is submitted again",
            trouble.reason,
            pause,
            self.plan.request_timeout,
        )
        self.schedule.query_at(now + pause, call.call_id)
        return Outcome(call.call_id, CallState.UNCONFIRMED, since=_utc_now())

    def _ask_before_resending(self, trouble: Trouble) -> None:
        self.logger.warning(
            "%s; asking for its result in %.1f s, to submit again only if it did not arrive",
            trouble.reason,
            trouble.wait,
        )

    def _resubmitting(self, call: _Call) -> None:
        """alovoice still does not know a call request_timeout after a submission of it that
        may have arrived failed: that submission never arrived."""
        call.unconfirmed_at = None
        self.logger.info(
            "Call %s: alovoice does not know it %.0f s after a failed submission, which so "
            "never arrived; submitting it again",
            call.call_id,
            self.plan.request_timeout,
        )

    def _abandoned(self, call: _Call) -> None:
        call.unconfirmed_at = None
        self.logger.warning(
            "Call %s: %d submissions failed, and alovoice does not know it; not submitted again "
            "in this run. The next run asks for its result first, and submits it only if "
            "alovoice still does not know it",
            call.call_id,
            call.failed_submissions,
        )
        self._checked(call)

    def _submission_refused(self, call: _Call, error: str) -> None:
        self.refused.append((call.call_id, error))
        self.logger.warning(
            "submission of call %s: alovoice answered: %s; not recorded as failed, the next run "
            "asks for its result and submits it again only if alovoice does not know it",
            call.call_id,
            error,
        )
        self._checked(call)

    def _gave_up(self, call: _Call, trouble: Trouble) -> None:
        self.report.gave_up(trouble.reason)
        later = "stays pending" if call.pending_since else "is checked again"
        self.logger.warning("%s (retries exhausted); the call %s next run", trouble.reason, later)
        self._checked(call)
        if self.report.failures_in_a_row >= max(3, self.plan.max_concurrency):
            raise self.report.unavailable()


_Job = tuple[Future[Reply | Trouble], t.Callable[[t.Any], Reply | Trouble], t.Any]


class _Workers:
    """A fixed number of daemon threads that run requests.

    Unlike a ThreadPoolExecutor's, whose threads the interpreter joins at exit, they let the
    process end while a request is still in flight after a fatal error or SIGTERM.
    """

    def __init__(self, size: int) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"alovoice-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def submit(
        self, send: t.Callable[[t.Any], Reply | Trouble], request: t.Any
    ) -> Future[Reply | Trouble]:
        future: Future[Reply | Trouble] = Future()
        self.jobs.put((future, send, request))
        return future

    def shutdown(self) -> None:
        """Let each thread end after its current request; jobs not started are dropped."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self.threads:
            self.jobs.put(None)

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, send, request = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(send(request))
            except BaseException as exc:  # handed to the caller, as an executor does
                future.set_exception(exc)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _age(call: _Call) -> float:
    """Seconds since the call was submitted, as far as this run knows (0 when it does not)."""
    if call.submitted_at is not None:
        return max(call.asked_at - call.submitted_at, 0.0)
    try:
        since = datetime.fromisoformat(call.pending_since or "")
    except ValueError:
        return 0.0
    if since.tzinfo is None:
        return 0.0
    return max((datetime.now(UTC) - since).total_seconds(), 0.0)
