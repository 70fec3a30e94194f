"""Collects analyses concurrently, and hands each one over as soon as it is done.

alovoice bills every submission, and only alovoice knows for certain what was submitted (a
run can be killed between a submission and the state that records it). So each call starts
with a result query: "not found" means never submitted, and only then is the call submitted.
A submission is never retried blindly either: when it fails, the result is queried again
(after request_timeout at least, in case the submission is still on its way) before another.

The scheduler runs in the calling thread and keeps at most `max_concurrency` requests in
flight in a thread pool (see schedule.py for the order). Outcomes are yielded from the calling
thread as they arrive, so each row is written as soon as its result is in.
"""

from __future__ import annotations

import threading
import time
import typing as t
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from tap_alovoice.describe import SUBMIT
from tap_alovoice.replies import Kind, Reply
from tap_alovoice.report import RunReport
from tap_alovoice.retries import Trouble
from tap_alovoice.schedule import PollPlan, Schedule

if t.TYPE_CHECKING:
    import logging

    import requests

# With this many calls unknown to alovoice and none known, the URL or the list is wrong.
ALL_UNKNOWN = 3


class Client(t.Protocol):
    stopping: threading.Event

    def prepare(self, step: str, call_id: str) -> requests.PreparedRequest: ...
    def query_result(self, request: requests.PreparedRequest) -> Reply | Trouble: ...
    def submit(self, request: requests.PreparedRequest) -> Reply | Trouble: ...


@dataclass(frozen=True)
class Outcome:
    """A call's status at the end of its part of the run: "done", "failed" or "pending"."""

    call_id: str
    status: str
    answer: t.Mapping[str, t.Any] | None = None
    error: str | None = None
    pending_since: str | None = None


@dataclass
class _Call:
    call_id: str
    pending_since: str | None  # known to be submitted since then (UTC)
    answer: t.Mapping[str, t.Any] | None = None
    polls: int = 0
    failed_submissions: int = 0
    checked: bool = False  # its status is known (or this run gave up finding out)


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
    ) -> None:
        self.client, self.plan, self.logger = client, plan, logger
        self.calls = {i: _Call(i, pending.get(i)) for i in call_ids}
        self.schedule = Schedule(plan, call_ids)
        self.unchecked = len(self.calls)
        if not self.calls:
            self.schedule.deadline = time.monotonic()
        self.waiting: dict[str, None] = {}  # submitted, result not in yet; in call order
        self.unknown: list[Outcome] = []  # held back until alovoice is seen to know a call
        self.report = RunReport(logger, where, plan.max_retries)
        self.inflight: dict[Future[Reply | Trouble], tuple[str, str]] = {}

    def outcomes(self) -> t.Iterator[Outcome]:
        """Done and failed calls as they come, then the calls still pending at the end."""
        self.client.stopping.clear()
        pool = ThreadPoolExecutor(self.plan.max_concurrency, thread_name_prefix="alovoice")
        try:
            while True:
                self._dispatch(pool)
                if not self.inflight and self.schedule.finished(time.monotonic()):
                    break
                for future in self._wait_for_answers():
                    yield from self._settle(future)
                next_query = self.schedule.next_moment()
                self.report.progress(len(self.waiting), self.unchecked, next_query)
            if self.report.counts["answered"] == 0 and self.report.counts["gave up"]:
                raise self.report.unavailable()
            yield from self._release_unknown()
            for call_id in self.waiting:
                call = self.calls[call_id]
                pending = Outcome(call_id, "pending", call.answer, None, call.pending_since)
                yield self._count(pending)
            self.report.summary(len(self.waiting))
        finally:
            self.client.stopping.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _dispatch(self, pool: ThreadPoolExecutor) -> None:
        now = time.monotonic()
        while len(self.inflight) < self.plan.max_concurrency:
            task = self.schedule.next_request(now)
            if task is None:
                return
            call_id, step = task
            request = self.client.prepare(step, call_id)
            send = self.client.submit if step == SUBMIT else self.client.query_result
            self.inflight[pool.submit(send, request)] = task

    def _wait_for_answers(self) -> set[Future[Reply | Trouble]]:
        moments = [self.report.next_progress]
        next_moment = self.schedule.next_moment()
        if next_moment is not None and len(self.inflight) < self.plan.max_concurrency:
            moments.append(next_moment)
        timeout = max(min(moments) - time.monotonic(), 0.0)
        if not self.inflight:
            time.sleep(timeout)
            return set()
        return wait(self.inflight, timeout=timeout, return_when=FIRST_COMPLETED).done

    def _settle(self, future: Future[Reply | Trouble]) -> t.Iterator[Outcome]:
        call_id, step = self.inflight.pop(future)
        call, result = self.calls[call_id], future.result()
        if isinstance(result, Trouble):
            if step == SUBMIT:
                self._submission_failed(call, result)
            else:
                self._gave_up(call, result)
            return
        self.report.answered(known=result.answer is not None)
        if result.answer is not None:
            yield from self._release_unknown()
        if result.kind is Kind.DONE and step != SUBMIT:
            yield self._final(call, Outcome(call_id, "done", result.answer))
        elif result.kind in {Kind.DONE, Kind.PENDING}:
            call.answer = result.answer
            self._wait_for_result(call)
        elif result.kind is Kind.NOT_FOUND and step != SUBMIT and call.pending_since is None:
            self._not_submitted(call)
        else:
            answer = result.answer or call.answer  # an error body loses the acknowledgement
            failed = self._final(call, Outcome(call_id, "failed", answer, result.error))
            if result.kind is Kind.NOT_FOUND and not self.report.counts["known"]:
                self.unknown.append(failed)
            else:
                self.logger.warning("Call %s: %s; recorded as failed", call_id, result.error)
                yield self._count(failed)

    def _release_unknown(self) -> t.Iterator[Outcome]:
        """Unknown calls are failed calls, once alovoice is seen to know some (or a few)."""
        if len(self.unknown) >= ALL_UNKNOWN and not self.report.counts["known"]:
            raise self.report.none_known([(o.call_id, o.error) for o in self.unknown])
        for outcome in self.unknown:
            self.logger.warning("Call %s: %s; recorded as failed", outcome.call_id, outcome.error)
            yield self._count(outcome)
        self.unknown.clear()

    def _count(self, outcome: Outcome) -> Outcome:
        self.report.counts[outcome.status] += 1
        return outcome

    def _not_submitted(self, call: _Call) -> None:
        if self.plan.submit:
            self.schedule.submit(call.call_id)
            return
        self.logger.info(
            "Call %s was never submitted for analysis; submit is false, so it is left alone",
            call.call_id,
        )
        self.report.counts["left alone"] += 1
        self._checked(call)

    def _wait_for_result(self, call: _Call) -> None:
        if call.pending_since is None:
            call.pending_since = datetime.now(UTC).isoformat(timespec="seconds")
        self.waiting[call.call_id] = None
        self._checked(call)
        self.schedule.query_at(time.monotonic() + self.plan.poll_wait(call.polls), call.call_id)
        call.polls += 1

    def _final(self, call: _Call, outcome: Outcome) -> Outcome:
        self.waiting.pop(call.call_id, None)
        self._checked(call)
        return outcome

    def _checked(self, call: _Call) -> None:
        """The call's status is known; once every call's is, the wait for results begins."""
        if call.checked:
            return
        call.checked = True
        self.unchecked -= 1
        if self.unchecked == 0:
            self.schedule.deadline = time.monotonic() + self.plan.max_wait
            if self.waiting:
                self.logger.info(
                    "Every call is checked; waiting up to %.0f s for %d analyses",
                    self.plan.max_wait,
                    len(self.waiting),
                )

    def _submission_failed(self, call: _Call, trouble: Trouble) -> None:
        call.failed_submissions += 1
        if call.failed_submissions > self.plan.max_retries:
            self._gave_up(call, trouble)
            return
        pause = max(trouble.wait, self.plan.request_timeout if trouble.may_arrive_late else 0)
        self.logger.warning(
            "%s; asking for its result in %.1f s, to submit again only if it did not arrive",
            trouble.reason,
            pause,
        )
        self.schedule.query_at(time.monotonic() + pause, call.call_id)

    def _gave_up(self, call: _Call, trouble: Trouble) -> None:
        self.report.gave_up(trouble.reason)
        later = "stays pending" if call.pending_since else "is checked again"
        self.logger.warning("%s (retries exhausted); the call %s next run", trouble.reason, later)
        self._checked(call)
        if self.report.failures_in_a_row >= max(3, self.plan.max_concurrency):
            raise self.report.unavailable()
