"""The alovoice streams: one row per call, and its transcript fragments and tags as rows."""

from __future__ import annotations

import time
import typing as t
from dataclasses import replace
from datetime import UTC, datetime

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import Stream
from typing_extensions import override

from singer_tap_kit import personal_data
from singer_tap_kit.redaction import host_of
from singer_tap_kit.stream import add_log_filter
from tap_alovoice import records, schemas
from tap_alovoice.calls import configured_call_ids
from tap_alovoice.client import AlovoiceStream
from tap_alovoice.ledger import CallLedger
from tap_alovoice.lifecycle import ROWS, CallState
from tap_alovoice.pipeline import Outcome, Pipeline
from tap_alovoice.schedule import PollPlan

if t.TYPE_CHECKING:
    import logging

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


class _Checkpoints:
    """When to write the state during a run: it repeats every settled call id, so not after
    each call, but after a tenth of the run's calls (at least 50) or 30 s, whichever is first."""

    SECONDS = 30.0

    def __init__(self, calls: int) -> None:
        self.every = max(50, calls // 10)
        self.settled = 0
        self.last = time.monotonic()

    def due(self) -> bool:
        self.settled += 1
        if self.settled < self.every and time.monotonic() - self.last < self.SECONDS:
            return False
        self.settled, self.last = 0, time.monotonic()
        return True


class AnalysesStream(AlovoiceStream):
    """One row per call: done, failed, or still pending when the run ended.

    A pending call's row comes at the end of every run until its result is in, and then a
    done row: targets upsert on the primary key. The stream keeps its own state (see
    ledger.py), as alovoice has no field to bookmark on, and a run emits only the calls not
    settled before: so the catalog says INCREMENTAL, on `collected_at`, which every row
    carries and which grows from row to row and from run to run (a loader that read
    FULL_TABLE could replace a table with one run's rows). The bookmark the SDK keeps on it
    decides nothing.
    """

    name = "analyses"
    primary_keys = ("call_id",)
    replication_key = "collected_at"
    schema = schemas.ANALYSIS
    # records.py types every value itself, so the SDK need not conform them again.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        self.child_rows: dict[str, list[records.Row]] = {"fragments": [], "tags": []}
        self.failing = False
        self.collecting = False
        """True while calls are collected: the children leave the state to the checkpoints."""
        add_log_filter(self.logger, self._without_generic_failure_line)

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never: a run emits only the calls it collected, and a table version switch would
        make a target drop the rows of every earlier run."""
        return False

    @property
    def is_sorted(self) -> bool:
        """Rows go out in the order they are collected, so a run cut short is resumable."""
        return True

    @property
    def check_sorted(self) -> bool:
        """Not checked: `collected_at` is the wall clock, which may step back, and the ledger,
        not this bookmark, decides what the next run collects."""
        return False

    @override
    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        configured = configured_call_ids(self.config)
        ledger = CallLedger.from_state(self.stream_state)  # checked by the tap's load_state
        to_collect, plan = self._plan(configured, ledger)
        self.check_token(_token_check_call(configured, ledger))
        host = host_of(str(self.config["api_url"]))
        pipeline = Pipeline(
            self,
            to_collect,
            ledger.pending,
            plan,
            logger=self.logger,
            where=f"alovoice at {host}",
            analysis_seconds=ledger.analysis_seconds,
        )
        checkpoints = _Checkpoints(len(to_collect))
        self.collecting = True
        try:
            for outcome in pipeline.outcomes():
                if outcome.status in ROWS:  # an unconfirmed call is no row: only the state keeps it
                    yield self._row(outcome)
                ledger.record(outcome)  # its rows, children included, are written by now
                ledger.analysis_seconds = pipeline.clock.learned or ledger.analysis_seconds
                if checkpoints.due():
                    self._save(ledger, configured, write=True)
        except FatalAPIError:
            self.failing = True
            self._save(ledger, configured, write=True)
            raise
        finally:
            self.collecting = False
        ledger.analysis_seconds = pipeline.clock.learned or ledger.analysis_seconds
        self._save(ledger, configured, write=False)  # the SDK writes the final STATE

    def _plan(self, configured: list[str], ledger: CallLedger) -> tuple[list[str], PollPlan]:
        """The calls this run collects, and how."""
        to_collect = ledger.to_collect(configured)
        self.logger.info(
            "%d calls configured, %d of them settled by earlier runs; %d calls to collect, "
            "%d of them submitted in earlier runs, %d with a submission not confirmed",
            len(configured),
            sum(ledger.settled(i) for i in configured),
            len(to_collect),
            sum(i in ledger.pending for i in to_collect),
            sum(i in ledger.unconfirmed and i not in ledger.pending for i in to_collect),
        )
        plan = PollPlan.from_config(self.config)
        if self.ABORT_AT_RECORD_COUNT == 1:  # the SDK's connection test, tap-alovoice --test
            self.logger.info("Connection test: result queries only, nothing is submitted")
            return to_collect[: plan.max_concurrency], replace(plan, submit=False, max_wait=0)
        return to_collect, plan

    def _row(self, outcome: Outcome) -> records.Row:
        collected_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        problems = records.Problems(show_values=personal_data.shows_values(self.config))
        call_id, answer = outcome.call_id, outcome.answer
        row = records.analysis_row(
            call_id,
            outcome.status.value,
            answer,
            error=outcome.error,
            collected_at=collected_at,
            problems=problems,
        )
        self.child_rows = {"fragments": [], "tags": []}
        if outcome.status is CallState.DONE and answer is not None:
            self.child_rows = {
                "fragments": records.fragment_rows(call_id, answer, collected_at, problems),
                "tags": records.tag_rows(call_id, answer, collected_at, problems),
            }
        for problem in problems:
            self.logger.warning("Call %s: %s", call_id, problem)
        return row

    def _save(self, ledger: CallLedger, configured: list[str], *, write: bool) -> None:
        self.stream_state.update(ledger.state(configured))
        if write:
            # The SDK's public way to emit the state now; it only writes when it changed.
            self.finalize_state_progress_markers(self.stream_state)

    @override
    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> t.Iterator[Context]:
        """Fragments and tags come with a done call's row; no request of their own. The
        context is empty: the children keep one bookmark for all calls, not one each."""
        if record["status"] == CallState.DONE:
            yield {}

    def _without_generic_failure_line(self, record: logging.LogRecord) -> bool:
        """The run's last line says what failed; the SDK's generic line before it adds nothing."""
        return not (self.failing and str(record.msg).startswith("An unhandled error occurred"))


def _token_check_call(configured: list[str], ledger: CallLedger) -> str:
    """The call whose result query checks the token: one collected before, which alovoice
    knows, else the first configured (the list is never empty, see calls.py)."""
    return next((i for i in configured if i in ledger.done), configured[0])


class CallChildStream(Stream):
    """Rows of the done call the parent has just emitted: incremental with it, on the same
    `collected_at`."""

    parent_stream_type = AnalysesStream
    TYPE_CONFORMANCE_LEVEL = AnalysesStream.TYPE_CONFORMANCE_LEVEL
    replication_key = "collected_at"
    is_sorted = AnalysesStream.is_sorted
    check_sorted = AnalysesStream.check_sorted

    def __init__(self, tap: Tap, analyses: AnalysesStream) -> None:
        super().__init__(tap)
        self._analyses = analyses

    @property
    def emit_activate_version_messages(self) -> bool:
        return False

    @override
    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        yield from self._analyses.child_rows[self.name]

    @override
    def _write_state_message(self) -> None:
        """Not after each done call while calls are collected; the run's checkpoints write it.

        Overrides a private SDK method (pinned by tests/test_kit.py), for want of a public
        hook: the SDK writes the whole state at the end of every child sync, once per done
        call and child stream, and that state repeats every settled call id, so a run of 5,000
        calls spent most of its CPU time writing 10,000 STATE messages. The children's
        bookmark is one dict with the parent's, so the parent's checkpoints (a tenth of the
        calls or 30 s) carry it; the SDK's last write, after the parent's sync, goes out as
        before.
        """
        if not self._analyses.collecting:
            super()._write_state_message()


class FragmentsStream(CallChildStream):
    """One row per transcript fragment (`stalk`) of a done call."""

    name = "fragments"
    primary_keys = ("fragment_id",)
    schema = schemas.FRAGMENT


class TagsStream(CallChildStream):
    """One row per tag of a done call, matched or not."""

    name = "tags"
    primary_keys = ("call_id", "position")
    schema = schemas.TAG
