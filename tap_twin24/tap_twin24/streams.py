"""The twin24 streams: calls, their transcript lines, and the call tasks that name them."""

from __future__ import annotations

import time
import typing as t
from collections import Counter
from datetime import UTC, datetime, timedelta

from singer_sdk.pagination import OffsetPaginator
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_twin24 import body, records, schemas, windows
from tap_twin24.bookmark import Bookmark, Sieve
from tap_twin24.client import Twin24Stream
from tap_twin24.pagination import CallsPage, Progress, WindowPaginator

if t.TYPE_CHECKING:
    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_twin24.auth import Twin24Authenticator

CALLS_PATH = "/api/v1/search/cis/calls"
TASKS_PATH = "/api/v1/telephony/autoCall"


class CallsStream(Twin24Stream[CallsPage | None]):
    """Calls by time window, each window paged by offset in ascending order of its field."""

    name = "calls"
    path = CALLS_PATH
    primary_keys = ("id",)
    schema = schemas.CALL
    # Sorted ascending, so the bookmark moves as records go out and a sync resumes where it
    # stopped. A window read again after it changed goes back in time: no sort check then.
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Tap, authenticator: Twin24Authenticator) -> None:
        super().__init__(tap, authenticator)
        self.replication_key = self.period_field
        self.child_rows: list[dict[str, t.Any]] = []
        self.counts: Counter[str] = Counter()
        # One sync (of one partition) at a time: get_records sets both up.
        self._paginator: WindowPaginator | None = None
        self._sieve: Sieve | None = None
        self._handover_id: str | None = None
        self._messages: dict[str, list[dict[str, t.Any]]] = {}

    @property
    def period_field(self) -> str:
        return str(self.config.get("filter_period_by") or "updatedAt")

    @property
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """One bookmark per task id and status filter, as twin24 filters by one of each.

        The keys are the calls' own field names, so the SDK adds nothing to the records.
        """
        task_ids = self.config.get("task_ids") or [None]
        statuses = self.config.get("statuses") or [None]
        if task_ids == [None] and statuses == [None]:
            return None
        return [
            {key: value for key, value in (("taskId", task), ("status", status)) if value}
            for task in task_ids
            for status in statuses
        ]

    @property
    def wants_messages(self) -> bool:
        """Whether ``call_messages`` is synced, so the transcripts are read with the calls."""
        return any(child.selected for child in self.child_streams)

    def get_new_paginator(self) -> WindowPaginator:
        if self._paginator is None:  # get_records plans before the SDK pages
            raise RuntimeError("calls paged before the sync was planned")
        return self._paginator

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: CallsPage | None
    ) -> dict[str, t.Any]:
        if next_page_token is None:  # the paginator ends before it runs out
            raise RuntimeError("a page asked for after the last window")
        window = next_page_token.window
        params: dict[str, t.Any] = {
            "fields": ",".join(self.requested_fields()),
            "filterPeriodBy": self.period_field,
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "sort": self.period_field,
            "limit": self.config["page_size"],
            "offset": next_page_token.offset,
        }
        params.update(context or {})  # taskId and status, named as twin24's parameters
        return params

    def requested_fields(self) -> list[str]:
        """The selected columns, plus the transcript when ``call_messages`` needs it."""
        fields = [
            name
            for name in records.CALL_FIELDS
            if name in ("id", self.period_field) or self.mask.get(("properties", name), True)
        ]
        if self.wants_messages:
            fields += ["messages"] if "updatedAt" in fields else ["messages", "updatedAt"]
        return fields

    @override
    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        """Calls changed since the bookmark, without the ones already sent at its very time."""
        started = time.monotonic()
        start = self._start(context)
        end = self._end()
        self._sieve = Sieve(Bookmark(self.get_context_state(context), self.period_field, start))
        # With transcripts pending, a STATE mid-page could pass calls whose lines are not out
        # yet: the state then goes out with each page's lines, after the child stream's sync.
        self.STATE_MSG_FREQUENCY = 10**15 if self.wants_messages else Stream.STATE_MSG_FREQUENCY
        page_size = int(self.config["page_size"])
        first = timedelta(hours=int(self.config["window_hours"]))
        planner = windows.WindowPlanner(start, end, first, windows.reach(page_size))
        where = _describe_context(context)
        self.logger.info("%scalls by %s from %s to %s", where, self.period_field, start, end)
        self.counts.clear()
        paginator = WindowPaginator(planner, page_size, self.period_field, self.logger)
        paginator.progress = Progress(self.logger, lambda: self._progress_line(where, paginator))
        self._paginator = paginator
        for record in super().get_records(context):
            self.counts["emitted"] += 1
            yield record
            if not self.selected:  # the SDK moves only a selected stream's bookmark
                self._increment_stream_state(record, context=context)
        self.logger.info(
            "%s%d calls in %.0f s, %d requests, %d windows (%d split); %s",
            where,
            self.counts.pop("emitted", 0),
            time.monotonic() - started,
            paginator.pages,
            planner.windows,
            planner.splits,
            ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) or "no skips",
        )

    def _progress_line(self, where: str, paginator: WindowPaginator) -> str:
        """How far a long read got: one line every PROGRESS_SECONDS, not one per window."""
        planner = paginator.planner
        return (
            f"{where}calls read up to {planner.cursor.isoformat()} "
            f"({planner.share_read():.0%} of the range): {self.counts['emitted']} calls, "
            f"{paginator.pages} requests, {planner.windows} windows so far"
        )

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        """Move the bookmark, and list the calls sent at its time, in the same step."""
        super()._increment_stream_state(latest_record, context=context)
        if self._sieve is not None:
            self._sieve.bookmark.note(latest_record)

    def _start(self, context: Context | None) -> datetime:
        return _as_utc(self.get_starting_timestamp(context) or _start_date(self.config))

    def _end(self) -> datetime:
        """``end_date``, or a little before now: a call may still change within its second."""
        if self.config.get("end_date"):
            return _as_utc(datetime.fromisoformat(str(self.config["end_date"])))
        settle = timedelta(seconds=float(self.config["settle_seconds"]))
        return datetime.now(UTC).replace(microsecond=0) - settle

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        """The page's new calls inside its window, once each; none from a page to be split."""
        paginator, sieve = self._paginator, self._sieve
        page = paginator.current_value if paginator else None
        if paginator is None or sieve is None or page is None or paginator.splits(response):
            return
        sieve.new_page(page.window)
        kept = [
            (record, item)
            for item in body.page(response)["items"]
            if (record := self._record(item)) is not None and self._is_new(record, page.window)
        ]
        self._mark_handover([record for record, _ in kept])
        wants_messages = self.wants_messages
        for record, item in kept:
            if wants_messages:
                self._messages[record["id"]] = records.message_rows(item, record)
            yield record

    def _is_new(self, record: dict[str, t.Any], window: windows.Window) -> bool:
        if self._sieve is None:  # get_records sets it before the SDK pages
            raise RuntimeError("calls read before the sync was planned")
        reason = self._sieve.skip(record, window)
        if reason is not None:
            self.counts[reason] += 1
        return reason is None

    def _record(self, item: t.Any) -> dict[str, t.Any] | None:
        if not isinstance(item, dict):
            self.counts["malformed"] += 1
            return None
        try:
            record, problems = records.call_record(item, self.period_field)
        except (records.MalformedCallError, ValueError) as exc:
            self.counts["malformed"] += 1
            self.logger.warning("Skipped a call: %s", exc)
            return None
        for problem in problems:
            self.logger.warning("Call %s: %s; left empty", record["id"], problem)
        return record

    def _mark_handover(self, page: list[dict[str, t.Any]]) -> None:
        """Child rows are handed over once per page, after its last record a stream map keeps."""
        kept = [record for record in page if self.stream_maps[0].get_filter_result(record)]
        if kept:
            self._handover_id = kept[-1]["id"]

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        messages = self._messages.pop(row["id"], None)
        if messages is not None and self.stream_maps[0].get_filter_result(row):
            self.child_rows.extend(messages)
        return row

    @override
    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> t.Iterator[Context]:
        if record["id"] == self._handover_id:
            self._handover_id = None
            yield {"page_of": record["id"]}
            self.child_rows.clear()


class CallMessagesStream(Stream):
    """One row per transcript line of the calls the parent emits; no requests of their own."""

    name = "call_messages"
    parent_stream_type = CallsStream
    primary_keys = ("call_id", "position")
    schema = schemas.CALL_MESSAGE
    TYPE_CONFORMANCE_LEVEL = CallsStream.TYPE_CONFORMANCE_LEVEL
    state_partitioning_keys: t.ClassVar[list[str]] = []  # pages are not worth a bookmark
    replication_key = "call_updated_at"
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Tap, calls: CallsStream) -> None:
        super().__init__(tap)
        self._calls = calls

    @override
    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        yield from self._calls.child_rows

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        """The bookmark follows the lines as they go out, as the SDK moves a sorted stream's.

        The SDK takes a stream with ``state_partitioning_keys`` for unsorted: it would keep the
        bookmark in ``progress_markers`` and warn "progress is not resumable if interrupted".
        Here the pages come in the calls' order and a sync resumes through the calls' bookmark
        (its state goes out after each page's lines), so that warning would not be true. The
        bookmark is the same once the sync ends.
        """
        value = latest_record.get(self.replication_key or "")
        if value is None:
            self.logger.warning("New replication value is null")
            return
        state = self.stream_state
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = value


class TasksStream(Twin24Stream[int]):
    """The call tasks (campaigns), so that a warehouse can name the calls' ``taskId``."""

    name = "tasks"
    path = TASKS_PATH
    url_setting = "tasks_url"
    counted = False
    primary_keys = ("id",)
    schema = schemas.TASK

    def get_new_paginator(self) -> OffsetPaginator:
        return _ShortPagePaginator(start_value=0, page_size=int(self.config["page_size"]))

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: int | None
    ) -> dict[str, t.Any]:
        return {"offset": next_page_token or 0, "limit": self.config["page_size"]}

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        for item in body.page(response)["items"]:
            if not isinstance(item, dict) or not item.get("id"):
                self.logger.warning("Skipped a task without an id")
                continue
            task = {name: item.get(name) for name in ("id", "name", "botId", "status")}
            for name in ("createdAt", "updatedAt"):
                try:
                    task[name] = records.utc(item.get(name))
                except ValueError:
                    task[name] = None
            yield task


class _ShortPagePaginator(OffsetPaginator):
    """Offsets until a page holds fewer rows than asked for."""

    def has_more(self, response: requests.Response) -> bool:
        return len(body.page(response)["items"]) >= self._page_size


def _start_date(config: t.Mapping[str, t.Any]) -> datetime:
    return datetime.fromisoformat(str(config["start_date"]))


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _describe_context(context: Context | None) -> str:
    if not context:
        return ""
    return " ".join(f"{key}={value}" for key, value in context.items()) + ": "
