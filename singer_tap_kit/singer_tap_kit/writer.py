"""The Singer message writer of every tap: each stream's SCHEMA goes out once per run.

The SDK sends a stream's SCHEMA each time it syncs it, and it syncs a child stream once per
context: once per page, batch or call here, hundreds of times in a large run. Loaders take each
SCHEMA as a cue to flush what they hold (target-duckdb loads every buffered table on it), so
every page became a small load of its own and loading took several times the tap's time. A
SCHEMA identical to the one already sent for that stream tells a target nothing: it is dropped
here. A schema that does change (a stream map, a stream synced again with other properties)
still goes out, and every RECORD still follows its stream's SCHEMA.

The SDK's own way to choose the writer is the tap's ``message_writer_class``; ``KitTap`` sets
it to this class. It sees every RECORD a run writes, so it also counts them for the run's
progress lines (``logs.Progress``), once ``KitTap`` gives it one.
"""

from __future__ import annotations

import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import Message

    from .logs import Progress


class OneSchemaWriter(MsgSpecWriter):
    """The SDK's fast writer (msgspec, several times json's speed), without a SCHEMA that
    repeats the last one sent for its stream."""

    def __init__(self) -> None:
        super().__init__()
        self._sent: dict[str, dict[str, t.Any]] = {}
        #: Counts the records written, for the run's progress lines; set by ``KitTap``.
        self.progress: Progress | None = None

    def write_message(self, message: Message) -> None:
        if isinstance(message, SchemaMessage):
            sent = message.to_dict()
            if self._sent.get(message.stream) == sent:
                return
            self._sent[message.stream] = sent
        super().write_message(message)
        if self.progress is not None and isinstance(message, RecordMessage):
            self.progress.record(message.stream)
