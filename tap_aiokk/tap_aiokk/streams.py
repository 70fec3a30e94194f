"""The aiokk streams: analysed dialogs, and their criteria and signals as rows of their own."""

from __future__ import annotations

import time
import typing as t
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from singer_sdk.streams import Stream
from typing_extensions import override

from singer_tap_kit import personal_data
from singer_tap_kit.state import note_how_progress_resumes
from tap_aiokk import body, records, schemas
from tap_aiokk.bookmark import STATE_KEY, Bookmark
from tap_aiokk.client import AiokkStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

# A finish time further ahead of this machine's clock than this is not trusted as a bookmark.
FUTURE_TOLERANCE = timedelta(days=1)
# Child rows go out in batches of this many dialogs, not one child sync per dialog.
CHILD_BATCH_DIALOGS = 500
# How an interrupted sync resumes, noted in each stream's state while it syncs (see kit.state).
RESUME_NOTES = {
    "dialogs": "An interrupted sync is played again from the bookmark of the last finished one "
    "(replication_key_value and recently_finished); these markers are not read back.",
    "children": "Rows of the dialogs that the dialogs stream emits: an interrupted sync sends "
    "them again with their dialogs; these markers are not read back.",
}
CHILD_ROWS: dict[str, t.Callable[[t.Mapping[str, t.Any]], list[dict[str, t.Any]]]] = {
    "dialog_criteria": records.criterion_rows,
    "dialog_signals": records.signal_rows,
}


class DialogsStream(AiokkStream):
    """Finished analyses, once each per sync, however many filters return them."""

    name = "dialogs"
    primary_keys = ("dialog_id",)
    replication_key = "finished_at"
    # Each filter request returns its dialogs in no useful order, so the SDK's bookmark is
    # final only when the sync ends; the stream's own bookmark (bookmark.py) makes it resumable.
    is_sorted = False
    schema = schemas.DIALOG

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        self.child_rows: dict[str, list[dict[str, t.Any]]] = {name: [] for name in CHILD_ROWS}
        self._dialogs_in_batch = 0
        self._batch = 0
        self._at_last_record = False

    @property
    def naive_tz(self) -> ZoneInfo | None:
        """The ``timezone`` setting; without it, each dialog's ``call.date`` offset is used."""
        name = self.config.get("timezone")
        return ZoneInfo(name) if name else None

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No cap at this machine's clock: finish times come from aiokk's clock."""
        return None

    def parse_response(self, response: requests.Response) -> t.Iterator[t.Any]:
        try:
            yield from body.dialogs(t.cast("t.IO[bytes]", response.raw))
        finally:
            response.raw.close()

    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        """New and re-analysed dialogs, resumable from the last finished sync."""
        dialogs = self._dialogs_holding_the_last(context)
        yield from resumable(self, context, dialogs, RESUME_NOTES["dialogs"])

    def _dialogs_holding_the_last(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        """The last dialog that syncs children is held back one step, so that it can be marked
        as the one that flushes the last batch of child rows."""
        self._at_last_record = False
        held = None
        for record in self._new_dialogs(context):
            if not self._syncs_children(record):
                yield record
                continue
            if held is not None:
                yield held
            held = record
        if held is not None:
            self._at_last_record = True
            yield held

    def _syncs_children(self, record: dict[str, t.Any]) -> bool:
        """The SDK syncs children only for records that a stream map's filter keeps."""
        return bool(self.stream_maps[0].get_filter_result(record))

    def _new_dialogs(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        started = time.monotonic()
        state = self.get_context_state(context)
        start = self._starting_bookmark(state, context)
        self.logger.info(
            "Dialogs come in the export's order, not by finish time: the bookmark moves when the "
            "sync ends, and an interrupted sync is played again from the last finished one"
        )
        if start.value:
            self.logger.info(
                "Bookmark: newest finish time synced %s; looking back to %s for dialogs that "
                "finished during the previous sync",
                start.value,
                start.window_start,
            )
        newest = start.next_sync()
        horizon = (datetime.now(UTC) + FUTURE_TOLERANCE).isoformat()
        emitted: set[int] = set()
        newest_emitted: str | None = None
        unchanged = repeated = malformed = 0
        show_values = personal_data.shows_values(self.config)
        for raw in super().get_records(context):
            try:
                record, problems = records.dialog_record(
                    raw, self.naive_tz, show_values=show_values
                )
            except records.MalformedDialogError as exc:
                malformed += 1
                self.logger.warning("Skipped a dialog: %s", exc)
                continue
            dialog_id, finished_at = record["dialog_id"], record["finished_at"]
            if finished_at is not None and finished_at > horizon:
                self.logger.warning(
                    "Dialog %s finished in the future (%s); it is sent on every sync until "
                    "that time has passed, and does not move the bookmark",
                    dialog_id,
                    finished_at,
                )
                newest.saw(dialog_id, None)
            elif dialog_id not in emitted:
                newest.saw(dialog_id, finished_at)
            if finished_at is None:
                continue
            if dialog_id in emitted:
                repeated += 1
                continue
            if not start.admits(dialog_id, finished_at):
                unchanged += 1
                continue
            for problem in problems:
                self.logger.warning("Dialog %s: %s; left empty", dialog_id, problem)
            emitted.add(dialog_id)
            newest_emitted = max(newest_emitted or finished_at, finished_at)
            yield record
        if self.selected or self.has_selected_descendents:
            saved = newest.state()
            # What the SDK's own bookmark will read once it finalizes this sync's state.
            sdk_value = newest_emitted if self.selected else None
            saved["replication_key_value"] = sdk_value or state.get("replication_key_value")
            state[STATE_KEY] = saved
        self.logger.info(
            "dialogs: %d new or re-analysed; %d unchanged since the bookmark; %d still being "
            "analysed (they come in a later sync); %d repeats from other filters; %d malformed",
            len(emitted),
            unchanged,
            len(newest.pending),
            repeated,
            malformed,
        )
        if time.monotonic() - started > start.lookback.total_seconds():
            self.logger.warning(
                "This sync took longer than lookback_minutes: raise it, or a dialog that "
                "finishes during a sync may be missed"
            )

    def _starting_bookmark(self, state: dict[str, t.Any], context: Context | None) -> Bookmark:
        """Our own bookmark, unless the SDK's bookmark value was set since, by hand."""
        lookback = timedelta(minutes=float(self.config["lookback_minutes"]))
        floor = _utc(self.config.get("start_date"))
        saved = state.get(STATE_KEY)
        if saved and saved.get("replication_key_value") == state.get("replication_key_value"):
            return Bookmark.from_state(saved, lookback, floor)
        value = _utc(self.get_starting_replication_key_value(context))
        return Bookmark(value, lookback, floor=floor)

    @override
    def generate_child_contexts(
        self,
        record: dict[str, t.Any],
        context: Context | None,
    ) -> t.Iterator[Context]:
        """Collect the record's child rows; hand them over every CHILD_BATCH_DIALOGS dialogs."""
        if not self._syncs_children(record):
            return
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


def resumable(
    stream: Stream,
    context: Context | None,
    records: t.Iterator[dict[str, t.Any]],
    note: str,
) -> t.Iterator[dict[str, t.Any]]:
    """``records``, with ``note`` in the stream's state before the first goes out.

    The streams are unsorted for the SDK, whose bookmark is final only when the sync ends, yet
    resumable: the state written while they sync still holds the last finished sync's bookmark.
    Noted before the SDK takes in a record, in place of its warning that progress is not
    resumable (see ``kit.state.note_how_progress_resumes``); no record, no note, as before.
    """
    for record in records:
        if stream.selected:  # the SDK keeps no bookmark for a stream that is not
            note_how_progress_resumes(stream.get_context_state(context), note)
        yield record


def _utc(value: object) -> str | None:
    return records.to_utc(str(value), UTC) if value else None


class DialogChildStream(Stream):
    """Rows derived from the dialogs the parent emits; they cost no request of their own.

    Incremental like their parent: each sync adds the rows of the dialogs it emits, and never
    asks a target to drop rows of earlier syncs.
    """

    parent_stream_type = DialogsStream
    TYPE_CONFORMANCE_LEVEL = DialogsStream.TYPE_CONFORMANCE_LEVEL
    state_partitioning_keys: t.ClassVar[list[str]] = []  # batches are not worth a bookmark
    replication_key = "finished_at"
    is_sorted = False  # and with partitioning keys the SDK treats a stream as unsorted anyway

    def __init__(self, tap: Tap, dialogs: DialogsStream) -> None:
        super().__init__(tap)
        self._dialogs = dialogs

    def get_records(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        rows = iter(self._dialogs.child_rows[self.name])
        yield from resumable(self, context, rows, RESUME_NOTES["children"])


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
