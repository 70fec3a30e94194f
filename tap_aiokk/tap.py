"""tap-aiokk: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import itertools
import json
import logging
import sys
import typing as t
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_aiokk.client import give_up_message
from tap_aiokk.pagination import FILTERS, export_requests
from tap_aiokk.redaction import redact_secrets
from tap_aiokk.streams import DialogCriteriaStream, DialogSignalsStream, DialogsStream

_INTEGERS = th.ArrayType(th.IntegerType)
_STRINGS = th.ArrayType(th.StringType)
_FILTER_NOTE = " One export request per value."


class TapAiokk(Tap):
    """Exports aiokk's AI analyses of calls: summaries, loyalty, criteria and signal words."""

    name = "tap-aiokk"
    package_name = "call-analytics-taps"
    message_writer_class = MsgSpecWriter  # the SDK's fast writer, several times json's speed

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
            _INTEGERS,
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
            _INTEGERS,
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
            th.NumberType,
            default=60,
            description="How far behind the bookmark each sync looks again, to catch dialogs "
            "that finished while the previous sync was running. Keep it above the longest "
            "sync's duration.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=300,
            description="Seconds to wait for the server at any point of a request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries of a request after 429, 5xx, a timeout, a dropped "
            "connection or a cut-off body, before the run fails.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType,
            default=2,
            description="First wait between retries, in seconds; it doubles on each retry. "
            "A Retry-After header from the server takes precedence.",
        ),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Mask secrets before anything can log them, then check what the schema cannot."""
        redact_secrets(self.config, self.config_jsonschema)
        errors = super()._validate_config(raise_errors=False) + _setting_errors(self.config)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def discover_streams(self) -> list[DialogsStream | DialogCriteriaStream | DialogSignalsStream]:
        dialogs = DialogsStream(self)
        return [dialogs, DialogCriteriaStream(self, dialogs), DialogSignalsStream(self, dialogs)]

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run a sync; end an API failure with one clear line and exit code 1."""
        try:
            super().invoke(*args, **kwargs)
        except FatalAPIError as exc:
            _fail(str(exc))
        except (RetriableAPIError, requests.RequestException) as exc:
            _fail(give_up_message(exc))


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
    api_url = config.get("api_url")
    if isinstance(api_url, str) and urlsplit(api_url).scheme not in {"http", "https"}:
        errors.append(f"api_url: {api_url!r} is not an http(s) URL")
    for setting, low, high in (("call_types", 1, 4), ("client_loyalty_grades", 1, 10)):
        values = config.get(setting)
        if isinstance(values, list):
            errors += [
                f"{setting}: {value!r} is not between {low} and {high}"
                for value in values
                if isinstance(value, int) and not low <= value <= high
            ]
    if all(isinstance(config.get(name, []), list) for name in FILTERS) and not export_requests(
        config
    ):
        errors.append("no filter is set: give call_types (all four export every dialog)")
    for setting, low in (("request_timeout", 1), ("max_retries", 0), ("lookback_minutes", 0)):
        value = config.get(setting)
        if _is_number(value) and value < low:
            errors.append(f"{setting}: must be at least {low}")
    return errors


def _is_number(value: object) -> t.TypeGuard[int | float | Decimal]:
    """The SDK reads a config file's fractions as Decimal, its whole numbers as int."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def main() -> None:
    """The ``tap-aiokk`` command: the SDK's CLI, after a check that its input files read.

    The SDK reads them while parsing arguments, where an unreadable one ends in a traceback.
    """
    arguments = [
        part
        for argument in sys.argv[1:]
        for part in (argument.split("=", 1) if argument.startswith("--") else [argument])
    ]
    for option, path in itertools.pairwise(arguments):
        if option in {"--config", "--state", "--catalog"} and path != "ENV":
            try:
                json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else f"not JSON ({exc})"
                _fail(f"cannot read {option} {path}: {reason}")
    TapAiokk.cli()


def _fail(message: str) -> t.NoReturn:
    logging.getLogger(TapAiokk.name).error("%s", message)
    sys.exit(1)
