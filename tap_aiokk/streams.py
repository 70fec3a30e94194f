"""The aiokk streams: analysed dialogs, and their criteria and signals as rows of their own."""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import UTC
from zoneinfo import ZoneInfo

from singer_sdk.streams import Stream

from tap_aiokk import body, records, schemas
from tap_aiokk.bookmark import Bookmark
from tap_aiokk.client import AiokkStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

# Child rows go out in batches of this many dialogs, not one child sync per dialog.
CHILD_BATCH_DIALOGS = 500
CHILD_ROWS: dict[str, t.Callable[[t.Mapping[str, t.Any]], list[dict[str, t.Any]]]] = {
    "dialog_criteria": records.criterion_rows,
    "dialog_signals": records.signal_rows,
}


class DialogsStream(AiokkStream):
    """Finished analyses, once each per sync, however many filters return them."""

    name = "dialogs"
    primary_keys = ("dialog_id",)
    replication_key = "finished_at"
    is_sorted = False  # each filter request returns its dialogs in no useful order
    schema = schemas.DIALOG

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        self.child_rows: dict[str, list[dict[str, t.Any]]] = {name: [] for name in CHILD_ROWS}
        self._dialogs_in_batch = 0
        self._batch = 0
        self._at_last_record = False

    @property
    def naive_tz(self) -> ZoneInfo:
        return ZoneInfo(self.config["timezone"])

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        try:
            yield from body.dialogs(t.cast("t.IO[bytes]", response.raw))
        finally:
            response.raw.close()

    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        """New and re-analysed dialogs, with a one-record look-ahead to flush child rows."""
        previous = None
        for record in self._new_dialogs(context):
            if previous is not None:
                yield previous
            previous = record
        if previous is not None:
            self._at_last_record = True
            yield previous

    def _new_dialogs(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        start = self._starting_bookmark(context)
        newest = start.copy()
        emitted: set[int] = set()
        unfinished: set[int] = set()
        tally: Counter[str] = Counter()
        for raw in super().get_records(context):
            try:
                record = records.dialog_record(raw, self.naive_tz)
            except records.MalformedDialogError as exc:
                tally["malformed"] += 1
                dialog_id = (raw.get("call") or {}).get("dialogId")
                self.logger.warning("Skipped dialog %s: %s", dialog_id, exc)
                continue
            dialog_id, finished_at = record["dialog_id"], record["finished_at"]
            if finished_at is None:
                unfinished.add(dialog_id)
                continue
            if dialog_id in emitted:
                tally["repeated"] += 1
                continue
            newest.advance(finished_at, dialog_id)
            if not start.admits(finished_at, dialog_id):
                tally["unchanged"] += 1
                continue
            emitted.add(dialog_id)
            yield record
        if self.selected:
            newest.save(self.get_context_state(context))
        self.logger.info(
            "dialogs: %d new or re-analysed; %d unchanged since the bookmark; %d still being "
            "analysed (they come in a later sync); %d repeats from other filters; %d malformed",
            len(emitted),
            tally["unchanged"],
            len(unfinished - emitted),
            tally["repeated"],
            tally["malformed"],
        )

    def _starting_bookmark(self, context: Context | None) -> Bookmark:
        value = self.get_starting_replication_key_value(context)
        normalized = records.to_utc(str(value), UTC) if value else None
        return Bookmark.from_state(normalized, self.get_context_state(context))

    def generate_child_contexts(
        self,
        record: dict[str, t.Any],
        context: Context | None,
    ) -> t.Iterator[Context]:
        """Collect the record's child rows; hand them over every CHILD_BATCH_DIALOGS dialogs."""
        for child in self.child_streams:
            if child.selected:
                self.child_rows[child.name].extend(CHILD_ROWS[child.name](record))
        self._dialogs_in_batch += 1
        if self._dialogs_in_batch >= CHILD_BATCH_DIALOGS or self._at_last_record:
            self._batch += 1
            yield {"dialog_batch": self._batch}
            self._dialogs_in_batch = 0
            for rows in self.child_rows.values():
                rows.clear()


class DialogChildStream(Stream):
    """Rows derived from the dialogs the parent emits; they cost no request of their own."""

    parent_stream_type = DialogsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # batches are not worth a bookmark

    def __init__(self, tap: Tap, dialogs: DialogsStream) -> None:
        super().__init__(tap)
        self._dialogs = dialogs

    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        yield from self._dialogs.child_rows[self.name]


class DialogCriteriaStream(DialogChildStream):
    """One row per dialog and evaluation criterion."""

    name = "dialog_criteria"
    primary_keys = ("dialog_id", "number")
    schema = schemas.DIALOG_CRITERION


class DialogSignalsStream(DialogChildStream):
    """One row per dialog and mentioned signal word."""

    name = "dialog_signals"
    primary_keys = ("dialog_id", "position")
    schema = schemas.DIALOG_SIGNAL
