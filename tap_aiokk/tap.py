"""tap-aiokk: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import logging
import sys
import typing as t
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_aiokk.client import describe_failure
from tap_aiokk.pagination import export_requests
from tap_aiokk.redaction import redact_secrets
from tap_aiokk.streams import DialogCriteriaStream, DialogSignalsStream, DialogsStream

_INTEGERS = th.ArrayType(th.IntegerType)
_STRINGS = th.ArrayType(th.StringType)
_FILTER_NOTE = " One export request per value."


class TapAiokk(Tap):
    """Exports aiokk's AI analyses of calls: summaries, loyalty, criteria and signal words."""

    name = "tap-aiokk"
    package_name = "call-analytics-taps"

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
            default="UTC",
            description="IANA time zone of the timestamps aiokk sends without an offset "
            "(analytics.finishDate), e.g. Asia/Almaty or Europe/Moscow.",
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

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        redact_secrets(self.config, self.config_jsonschema)
        if kwargs.get("validate_config", True):
            errors = _setting_errors(self.config)
            if errors:
                raise ConfigValidationError("Config validation failed", errors=errors)

    def discover_streams(self) -> list[DialogsStream | DialogCriteriaStream | DialogSignalsStream]:
        dialogs = DialogsStream(self)
        return [dialogs, DialogCriteriaStream(self, dialogs), DialogSignalsStream(self, dialogs)]

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run a sync; end an API failure with one clear line and exit code 1."""
        try:
            super().invoke(*args, **kwargs)
        except (FatalAPIError, RetriableAPIError) as exc:
            _fail(str(exc))
        except requests.RequestException as exc:
            _fail(f"giving up on the aiokk API: {describe_failure(exc)}")


def _setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """What JSON Schema cannot say about the settings."""
    errors = []
    try:
        ZoneInfo(str(config.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"timezone: {config.get('timezone')!r} is not an IANA time zone name")
    start_date = config.get("start_date")
    if start_date:
        try:
            datetime.fromisoformat(str(start_date))
        except ValueError:
            errors.append(f"start_date: {start_date!r} is not a date-time such as 2025-04-01")
    if urlsplit(str(config.get("api_url", ""))).scheme not in {"http", "https"}:
        errors.append(f"api_url: {config.get('api_url')!r} is not an http(s) URL")
    if not export_requests(config):
        errors.append("no filter is set: give call_types (all four export every dialog)")
    for grade in config.get("client_loyalty_grades") or []:
        if not 1 <= grade <= 10:
            errors.append(f"client_loyalty_grades: {grade} is not between 1 and 10")
    for setting in ("request_timeout", "max_retries"):
        if int(config.get(setting, 1)) < (1 if setting == "request_timeout" else 0):
            errors.append(f"{setting}: must be positive")
    return errors


def _fail(message: str) -> t.NoReturn:
    logging.getLogger(TapAiokk.name).error("%s", message)
    sys.exit(1)
