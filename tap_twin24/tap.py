"""tap-twin24: the Singer tap entry point, its settings and streams."""

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

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_twin24.auth import Twin24Authenticator
from tap_twin24.client import give_up_message
from tap_twin24.redaction import redact_secrets
from tap_twin24.streams import CallMessagesStream, CallsStream, TasksStream
from tap_twin24.windows import PERIOD_CAP

PERIOD_FIELDS = ("updatedAt", "createdAt", "startedAt")
MAX_PAGE = 1000
MAX_WINDOW_HOURS = 24 * 366


class TapTwin24(Tap):
    """Exports twin24 voice-robot calls, their transcripts and the call tasks."""

    name = "tap-twin24"
    package_name = "call-analytics-taps"
    message_writer_class = MsgSpecWriter  # the SDK's fast writer, several times json's speed

    config_jsonschema = th.PropertiesList(
        th.Property(
            "email",
            th.StringType,
            title="Email",
            description="Login of your twin24 cabinet. With password, the tap logs in by itself "
            "and renews its token as needed.",
        ),
        th.Property(
            "password",
            th.StringType,
            secret=True,
            title="Password",
            description="Password of that login.",
        ),
        th.Property(
            "token",
            th.StringType,
            secret=True,
            title="Token",
            description="A ready bearer token, instead of (or before) logging in. Without "
            "email and password, the run stops when the token expires.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            required=True,
            description="Export calls whose filter_period_by time is at or after this. "
            "Without an offset it is read as UTC.",
        ),
        th.Property(
            "end_date",
            th.DateTimeType,
            description="Export calls before this time (exclusive). Unset: up to the sync's "
            "start, and each later sync goes on from its bookmark.",
        ),
        th.Property(
            "task_ids",
            th.ArrayType(th.StringType),
            description="Only these call tasks (campaigns). Each task has its own bookmark.",
        ),
        th.Property(
            "statuses",
            th.ArrayType(th.StringType),
            description="Only calls with these statuses, e.g. ANSWERED. Each has its own "
            "bookmark. A call whose status changes to one not listed is not exported again.",
        ),
        th.Property(
            "filter_period_by",
            th.StringType,
            default="updatedAt",
            allowed_values=list(PERIOD_FIELDS),
            description="The call time that windows, sorting and the bookmark use. With "
            "updatedAt (the default) every change of a call is exported again; with "
            "createdAt or startedAt, later changes of a call are not.",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=MAX_PAGE,
            description=f"Rows per request, at most {MAX_PAGE}.",
        ),
        th.Property(
            "window_hours",
            th.NumberType,
            default=24,
            description=f"Length of the time windows the range is read in. A window holding "
            f"more than {PERIOD_CAP} calls (twin24's limit per period) is split in two, again "
            "and again, until every part fits.",
        ),
        th.Property(
            "settle_seconds",
            th.IntegerType,
            default=60,
            description="Without end_date, a sync reads up to this many seconds before it "
            "starts. twin24 keeps whole seconds, so a call that changes again within the "
            "second it was read in would otherwise not be read again.",
        ),
        th.Property(
            "auth_url",
            th.URIType,
            default="https://iam.twin24.ai",
            title="Login URL",
            description="Base URL of twin24's login service.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            default="https://analyse.twin24.ai",
            title="Calls API URL",
            description="Base URL of twin24's call statistics.",
        ),
        th.Property(
            "tasks_url",
            th.URIType,
            default="https://cis.twin24.ai",
            title="Tasks API URL",
            description="Base URL of twin24's call tasks.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=60,
            description="Seconds to wait for the server at any point of a request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries of a request after 429, 5xx, a timeout, a dropped connection "
            "or a cut-off answer, before the run fails.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType,
            default=1,
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

    def discover_streams(self) -> list[CallsStream | CallMessagesStream | TasksStream]:
        authenticator = Twin24Authenticator(self.config, self.logger)
        calls = CallsStream(self, authenticator)
        return [calls, CallMessagesStream(self, calls), TasksStream(self, authenticator)]

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
    if not config.get("token") and not (config.get("email") and config.get("password")):
        errors.append("set email and password (or a token) to authenticate to twin24")
    moments = {}
    for name in ("start_date", "end_date"):
        value = config.get(name)
        if isinstance(value, str):
            try:
                moments[name] = datetime.fromisoformat(value)
            except ValueError:
                errors.append(f"{name}: {value!r} is not a date-time such as 2025-04-01T00:00:00Z")
    if len(moments) == 2 and _aware(moments["end_date"]) <= _aware(moments["start_date"]):
        errors.append("end_date must be after start_date")
    for name in ("auth_url", "api_url", "tasks_url"):
        url = config.get(name)
        if isinstance(url, str) and urlsplit(url).scheme not in {"http", "https"}:
            errors.append(f"{name}: {url!r} is not an http(s) URL")
    page_size = config.get("page_size")
    if isinstance(page_size, int) and not 1 <= page_size <= MAX_PAGE:
        errors.append(f"page_size: must be between 1 and {MAX_PAGE}")
    for name, low in (("request_timeout", 1), ("max_retries", 0)):
        value = config.get(name)
        if _is_number(value) and value < low:
            errors.append(f"{name}: must be at least {low}")
    hours = config.get("window_hours")
    if _is_number(hours) and not 1 / 3600 <= hours <= MAX_WINDOW_HOURS:
        errors.append(f"window_hours: must be between one second and {MAX_WINDOW_HOURS}")
    settle = config.get("settle_seconds")
    if isinstance(settle, int) and settle < 0:
        errors.append("settle_seconds: must be at least 0")
    return errors


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _bookmark_problem(state: object) -> str | None:
    """What is wrong with the calls bookmarks of a state (the SDK would end in a traceback)."""
    bookmarks = state.get("bookmarks", {}) if isinstance(state, dict) else {}
    calls = bookmarks.get("calls") if isinstance(bookmarks, dict) else None
    if not isinstance(calls, dict):
        return None
    for entry in [calls, *calls.get("partitions", [])]:
        value = entry.get("replication_key_value") if isinstance(entry, dict) else None
        try:
            if value is not None:
                datetime.fromisoformat(str(value))
        except ValueError:
            return (
                f"the calls bookmark {value!r} is not a date-time; set it with "
                "`meltano state set`, or clear the state"
            )
    return None


def _is_number(value: object) -> t.TypeGuard[int | float | Decimal]:
    """The SDK reads a config file's fractions as Decimal, its whole numbers as int."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def main() -> None:
    """The ``tap-twin24`` command: the SDK's CLI, after a check that its input files read.

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
                content = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else f"not JSON ({exc})"
                _fail(f"cannot read {option} {path}: {reason}")
            if option == "--state" and (problem := _bookmark_problem(content)):
                _fail(f"cannot use --state {path}: {problem}")
    TapTwin24.cli()


def _fail(message: str) -> t.NoReturn:
    logging.getLogger(TapTwin24.name).error("%s", message)
    sys.exit(1)
