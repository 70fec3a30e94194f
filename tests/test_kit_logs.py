"""The kit's log at the default level: no line per request, record or child sync, a progress
line every 30 s of a sync and the totals at its end (the taps' runs: tests/*/test_cli.py)."""

from __future__ import annotations

import json
import logging
import threading
import typing as t

import pytest
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from singer_tap_kit.logs import (
    PROGRESS_EVERY,
    FirstSyncLines,
    Progress,
    duration,
    heartbeat,
    quiet_sync_lines,
)
from singer_tap_kit.writer import OneSchemaWriter
from tap_aiokk.tap import TapAiokk
from tap_alovoice.tap import TapAlovoice
from tap_twin24.tap import TapTwin24

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk import Tap

LOGGER = "tap-progress-test"
METRICS = logging.getLogger("singer_sdk.metrics")


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def progress(clock: Clock, caplog: pytest.LogCaptureFixture) -> Progress:
    caplog.set_level(logging.INFO, logger=LOGGER)
    return Progress(logging.getLogger(LOGGER), every=30.0, clock=clock)


@pytest.fixture(autouse=True)
def metrics_level() -> Iterator[None]:
    """The SDK's metrics logger belongs to the process: each test leaves it as it found it."""
    level = METRICS.level
    yield
    METRICS.setLevel(level)


# Progress -----------------------------------------------------------------------------------


def test_a_progress_line_comes_each_time_the_interval_has_passed(
    progress: Progress, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    progress.record("analyses")
    clock.now += 29.9
    progress.record("fragments")
    assert progress_lines(caplog) == []
    clock.now += 0.1
    progress.record("fragments")
    assert progress_lines(caplog) == ["3 records so far (analyses 1, fragments 2), 30 s"]
    clock.now += 29.0  # counted from the last line, not from a schedule
    progress.record("tags")
    assert len(progress_lines(caplog)) == 1
    clock.now += 121.0
    progress.record("tags")
    assert progress_lines(caplog)[1:] == [
        "5 records so far (analyses 1, fragments 2, tags 2), 3 min 0 s"
    ]


def test_no_progress_line_while_records_come_within_the_interval(
    progress: Progress, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """However many records: the line's count depends on the time, not on the records."""
    start = clock.now
    for _ in range(10_000):
        progress.record("analyses")
        clock.now += 0.002
    assert progress_lines(caplog) == []
    clock.now = start + 30.0
    progress.record("analyses")
    assert progress_lines(caplog) == ["10,001 records so far (analyses 10,001), 30 s"]


def test_the_default_interval_is_30_seconds(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    progress = Progress(logging.getLogger(LOGGER), clock=clock)
    assert PROGRESS_EVERY == 30.0
    clock.now += PROGRESS_EVERY - 0.5
    progress.record("calls")
    assert progress_lines(caplog) == []
    clock.now += 0.5
    progress.record("calls")
    assert progress_lines(caplog) == ["2 records so far (calls 2), 30 s"]


def test_a_progress_line_comes_while_no_record_does(
    progress: Progress, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The heartbeat's tick: an export the server builds for minutes is no silent log."""
    assert progress.tick() is False
    clock.now += 30.0
    assert progress.tick() is True
    clock.now += 29.0
    assert progress.tick() is False
    progress.record("dialogs")
    clock.now += 1.0
    assert progress.tick() is True
    assert progress_lines(caplog) == [
        "no records yet, 30 s",
        "1 records so far (dialogs 1), 1 min 0 s",
    ]


def test_a_record_and_the_heartbeat_due_together_log_one_line(
    progress: Progress, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now += 30.0
    progress.record("calls")
    assert progress.tick() is False
    assert progress_lines(caplog) == ["1 records so far (calls 1), 30 s"]


def test_the_heartbeat_ticks_the_runs_progress_until_the_sync_ends(
    progress: Progress, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The thread finds the run's Progress once the tap is built (None before), logs its line
    when due, and is gone when the body ends."""
    found: list[Progress | None] = [None]
    ticked = threading.Event()

    def find() -> Progress | None:
        if found[0] is not None:
            ticked.set()
        return found[0]

    clock.now += 30.0
    with heartbeat(find, every=0.01):
        assert "progress" in [thread.name for thread in threading.enumerate()]
        found[0] = progress
        assert ticked.wait(10)
    assert "progress" not in [thread.name for thread in threading.enumerate()]
    assert progress_lines(caplog) == ["no records yet, 30 s"]


def test_a_tap_syncs_inside_the_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's `sync_all` is final: `KitTap.invoke` runs the SDK's `invoke` inside it."""
    seen: list[bool] = []

    def invoke(*args: object, **kwargs: object) -> None:  # noqa: ARG001 (its signature)
        seen.append("progress" in [thread.name for thread in threading.enumerate()])

    monkeypatch.setattr("singer_sdk.tap_base.Tap.invoke", invoke)
    TapAiokk.invoke()
    assert seen == [True]
    assert "progress" not in [thread.name for thread in threading.enumerate()]


def test_the_summary_gives_the_totals_per_stream(progress: Progress, clock: Clock) -> None:
    for stream, count in (("dialogs", 1200), ("dialog_criteria", 34), ("dialogs", 1)):
        for _ in range(count):
            progress.record(stream)
    clock.now += 150.4
    assert progress.summary() == (
        "done: 1,235 records in 2 min 30 s: dialogs 1,201, dialog_criteria 34"
    )


def test_the_summary_of_a_run_without_records(progress: Progress, clock: Clock) -> None:
    clock.now += 2.25
    assert progress.summary() == "done: no records in 2.2 s"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0 s"),
        (3.25, "3.2 s"),
        (12.4, "12 s"),
        (59.4, "59 s"),
        (60.0, "1 min 0 s"),
        (150.0, "2 min 30 s"),
        (3599.0, "59 min 59 s"),
        (3900.0, "1 h 5 min"),
        (90000.0, "25 h 0 min"),
    ],
)
def test_a_duration_reads_as_a_person_writes_it(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_writer_counts_the_records_it_writes(
    progress: Progress, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    writer = OneSchemaWriter()
    writer.progress = progress
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    for message in (
        SchemaMessage("a", schema, ["id"]),
        RecordMessage("a", {"id": 1}),
        SchemaMessage("a", schema, ["id"]),
        RecordMessage("a", {"id": 2}),
        RecordMessage("b", {"id": 3}),
        StateMessage({"bookmarks": {}}),
    ):
        writer.write_message(message)
    out = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert sum(m["type"] == "RECORD" for m in out) == 3
    assert progress.counts == {"a": 2, "b": 1}


# The SDK's lines per sync -------------------------------------------------------------------


def _line(logger: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(logger, logging.INFO, __file__, 1, message, args, None)


def test_a_stream_logs_its_first_sync_lines_and_not_their_repeats() -> None:
    rule = FirstSyncLines()
    beginning = "Beginning sync of '%s' in %s mode with context keys: %s"
    starting = "Starting incremental sync of '%s' with bookmark value: %s"
    lines = [
        _line("tap-x.fragments", beginning, "fragments", "incremental", ("call_id",)),
        _line("tap-x.fragments", starting, "fragments", None),
        _line("tap-x.tags", beginning, "tags", "incremental", ("call_id",)),
        _line("tap-x.fragments", beginning, "fragments", "incremental", ("call_id",)),
        _line("tap-x.fragments", starting, "fragments", "2025-01-01"),
        _line("tap-x.fragments", "Retry %d of %d", 1, 5),
        _line("tap-x.fragments", "Retry %d of %d", 2, 5),
        _line("tap-x.tags", beginning, "tags", "incremental", ("call_id",)),
    ]
    assert [line for line in lines if rule.filter(line)] == [lines[i] for i in (0, 1, 2, 5, 6)]


def test_a_later_tap_of_the_same_process_logs_its_own_first_lines() -> None:
    logger = logging.getLogger("tap-progress-test.stream")
    line = _line(logger.name, "Beginning sync of '%s' in %s mode", "stream", "incremental")
    quiet_sync_lines([logger], details=False)
    assert logger.filter(line) and not logger.filter(line)
    quiet_sync_lines([logger], details=False)
    assert logger.filter(line) and not logger.filter(line)
    quiet_sync_lines([logger], details=True)
    assert logger.filter(line) and logger.filter(line)
    assert not [f for f in logger.filters if isinstance(f, FirstSyncLines)]


# The taps -----------------------------------------------------------------------------------

CONFIGS: dict[type[Tap], dict[str, t.Any]] = {
    TapAlovoice: {"token": "x", "call_ids": ["1"]},
    TapAiokk: {"api_url": "https://example.com", "token": "x"},
    TapTwin24: {
        "email": "a@example.com",
        "password": "x",
        "start_date": "2025-01-01T00:00:00Z",
    },
}


@pytest.mark.parametrize("tap_class", list(CONFIGS), ids=lambda tap: tap.name)
@pytest.mark.parametrize("details", [False, True], ids=["default", "log_details"])
def test_a_tap_leaves_out_metrics_and_repeated_sync_lines_unless_log_details(
    tap_class: type[Tap], details: bool, caplog: pytest.LogCaptureFixture
) -> None:
    tap = tap_class(config=CONFIGS[tap_class] | {"log_details": details})
    assert tap.metrics_logger is METRICS
    assert METRICS.isEnabledFor(logging.INFO) is details
    caplog.set_level(logging.INFO)
    for stream in tap.streams.values():
        for _ in range(3):
            stream.logger.info("Beginning sync of '%s' in %s mode", stream.name, "incremental")
            stream.logger.info("Starting incremental sync of '%s' with bookmark value: %s", 1, 2)
    sync_lines = [r for r in caplog.records if r.name.startswith(f"{tap.name}.")]
    assert len(sync_lines) == len(tap.streams) * 2 * (3 if details else 1)


@pytest.mark.parametrize("tap_class", list(CONFIGS), ids=lambda tap: tap.name)
def test_every_tap_has_the_same_log_details_setting(tap_class: type[Tap]) -> None:
    setting = tap_class.config_jsonschema["properties"]["log_details"]
    assert setting == TapAlovoice.config_jsonschema["properties"]["log_details"]
    assert setting["type"] == ["boolean", "null"] or setting["type"] == "boolean"
    assert setting["default"] is False
    assert "METRIC" in setting["description"]
