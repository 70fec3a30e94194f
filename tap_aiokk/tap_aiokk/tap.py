"""tap-aiokk: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import typing as t
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th

from singer_tap_kit import personal_data
from singer_tap_kit.cli import main as run_cli
from singer_tap_kit.settings import (
    RENAMED,
    backoff_setting,
    log_details_setting,
    retries_setting,
    timeout_setting,
    url_error,
)
from singer_tap_kit.state import bookmarks_of, shown
from singer_tap_kit.tap import KitTap
from tap_aiokk.bookmark import STATE_KEY
from tap_aiokk.client import describe_export
from tap_aiokk.pagination import FILTERS, export_requests
from tap_aiokk.streams import DialogCriteriaStream, DialogSignalsStream, DialogsStream

if t.TYPE_CHECKING:
    import requests

_INTEGERS = th.ArrayType(th.IntegerType)
_STRINGS = th.ArrayType(th.StringType)
_FILTER_NOTE = " One export request per value."


class TapAiokk(KitTap):
    """Exports aiokk's AI analyses of calls: summaries, loyalty, criteria and signal words."""

    name = "tap-aiokk"
    package_name = "tap-aiokk"
    renamed_settings: t.ClassVar[dict[str, str]] = RENAMED

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_url",
            th.URIType,
            required=True,
            title="API URL",
            description="Base URL of your aiokk account (the host differs per account), "
            "without /api/v1.",
        ),
        th.Property(
            "token",
            th.StringType,
            required=True,
            secret=True,
            title="API token",
            description="Token from the 'Экспорт через API' page of your aiokk cabinet.",
        ),
        th.Property(
            "call_types",
            th.ArrayType(th.IntegerType(minimum=1, maximum=4)),
            default=[1, 2, 3, 4],
            description="Call types to export: 1 outgoing, 2 incoming, 3 incoming with "
            "redirection, 4 callback. The default, all four, covers every dialog. The tap emits "
            "every dialog that any filter request returns, once: set [] here to export only "
            "what the other filters select." + _FILTER_NOTE,
        ),
        th.Property("department_ids", _INTEGERS, description="Department ids." + _FILTER_NOTE),
        th.Property(
            "operator_names", _STRINGS, description="Operators' full names." + _FILTER_NOTE
        ),
        th.Property(
            "question_pack_ids",
            _INTEGERS,
            description="Evaluation-criteria set (question pack) ids." + _FILTER_NOTE,
        ),
        th.Property(
            "client_loyalty_grades",
            th.ArrayType(th.IntegerType(minimum=1, maximum=10)),
            description="Client loyalty grades, 1 to 10." + _FILTER_NOTE,
        ),
        th.Property("signal_words", _STRINGS, description="Signal (маяк) keywords." + _FILTER_NOTE),
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Only dialogs whose analysis finished at or after this time. Without "
            "an offset it is read as UTC.",
        ),
        th.Property(
            "timezone",
            th.StringType,
            description="IANA time zone of the timestamps aiokk sends without an offset "
            "(analytics.finishDate), e.g. Asia/Almaty or Europe/Moscow. Unset, the offset of "
            "the same dialog's call.date is used.",
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType(minimum=0),
            default=60,
            description="How far behind the bookmark each sync looks again, to catch dialogs "
            "that finished while the previous sync was running. Keep it above the longest "
            "sync's duration.",
        ),
        timeout_setting(300),
        retries_setting(),
        backoff_setting(2000),
        log_details_setting(),
        *personal_data.settings(),
    ).to_dict()

    def setting_errors(self, config: t.Mapping[str, t.Any]) -> list[str]:
        return _setting_errors(config)

    def state_errors(self, state: t.Mapping[str, t.Any]) -> list[str]:
        """The dialogs bookmark must hold a time and, when present, our own record of it."""
        for bookmark in bookmarks_of(state, DialogsStream.name):
            value = bookmark.get("replication_key_value")
            if value is not None and not _is_time(value):
                return [f"the dialogs bookmark {value!r} is not a date-time"]
            saved = bookmark.get(STATE_KEY)
            if saved is not None and not _is_own_record(saved):
                return [
                    f"bookmarks.dialogs.{STATE_KEY} is {shown(saved)}, not the record this tap "
                    "writes"
                ]
        return []

    def discover_streams(self) -> list[DialogsStream | DialogCriteriaStream | DialogSignalsStream]:
        dialogs = DialogsStream(self)
        return [dialogs, DialogCriteriaStream(self, dialogs), DialogSignalsStream(self, dialogs)]

    @classmethod
    def describe_request(cls, request: requests.PreparedRequest | None) -> str:
        return describe_export(request)


def _is_time(value: object) -> bool:
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _is_own_record(saved: object) -> bool:
    """Whether a saved bookmark record has the types ``Bookmark.state`` writes."""
    if not isinstance(saved, dict):
        return False
    dialogs = saved.get("dialogs") or {}
    pending = saved.get("pending_dialog_ids") or []
    max_id = saved.get("max_dialog_id")
    return (
        isinstance(dialogs, dict)
        and all(str(key).isdigit() and isinstance(at, str) for key, at in dialogs.items())
        and isinstance(pending, list)
        and all(isinstance(i, int) for i in pending)
        and (max_id is None or isinstance(max_id, int))
        and (saved.get("finished_at") is None or _is_time(saved["finished_at"]))
    )


def _setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """What JSON Schema cannot say about the settings (values of a wrong type are its job)."""
    errors = []
    zone = config.get("timezone")
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"timezone: {zone!r} is not an IANA time zone name")
    start_date = config.get("start_date")
    if isinstance(start_date, str):
        try:
            datetime.fromisoformat(start_date)
        except ValueError:
            errors.append(f"start_date: {start_date!r} is not a date-time such as 2025-04-01")
    if problem := url_error("api_url", config.get("api_url")):
        errors.append(problem)
    if all(isinstance(config.get(name, []), list) for name in FILTERS) and not export_requests(
        config
    ):
        errors.append("no filter is set: give call_types (all four export every dialog)")
    return errors


def main() -> None:
    """The ``tap-aiokk`` command."""
    run_cli(TapAiokk)
