"""tap-alovoice: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import itertools
import json
import logging
import sys
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from tap_alovoice.calls import CallListError, configured_call_ids
from tap_alovoice.client import AlovoiceStream
from tap_alovoice.describe import describe_failure
from tap_alovoice.ledger import StateError, check_state
from tap_alovoice.redaction import redact_secrets
from tap_alovoice.streams import AnalysesStream, FragmentsStream, TagsStream

if t.TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk.helpers.capabilities import CapabilitiesEnum

# What ends a run with one line and exit code 1, rather than a traceback.
RUN_ERRORS = (FatalAPIError, RetriableAPIError, requests.RequestException, StateError)
# Not offered: the tap never sends ACTIVATE_VERSION (a table version switch would make a target
# drop the rows of earlier runs), and BATCH files would be announced after the state that
# records their calls as collected.
LEFT_OUT = frozenset({TapCapabilities.ACTIVATE_VERSION, PluginCapabilities.BATCH})


class TapAlovoice(Tap):
    """Submits recorded calls to alovoice's AI analysis and collects the results."""

    name = "tap-alovoice"
    package_name = "call-analytics-taps"
    message_writer_class = MsgSpecWriter  # the SDK's fast writer, several times json's speed
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        c for c in Tap.capabilities if c not in LEFT_OUT
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "token",
            th.StringType,
            required=True,
            secret=True,
            title="API token",
            description="Your alovoice API token. It is part of every request's URL; the tap "
            "never writes it to logs or state.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            default="https://cld.alovoice.uz",
            title="API URL",
            description="Base URL of the alovoice API.",
        ),
        th.Property(
            "call_ids",
            th.ArrayType(th.StringType),
            description="Ids of the recorded calls to analyse, as your PBX names them "
            "(alovoice has no method that lists calls). Set call_ids, call_ids_file, or both; "
            "together they must list at least one call.",
        ),
        th.Property(
            "call_ids_file",
            th.StringType,
            description="Path of a text file with one call id per line (blank lines and lines "
            "starting with # are skipped), read at the start of each run; relative paths start "
            "in the working directory. Used together with call_ids when both are set.",
        ),
        th.Property(
            "submit",
            th.BooleanType,
            default=True,
            description="Submit calls that were never submitted (each submission is billed). "
            "false: only collect the results of calls submitted some other way; a call never "
            "submitted is then logged and left alone.",
        ),
        th.Property(
            "max_concurrency",
            th.IntegerType(minimum=1, maximum=64),
            default=8,
            description="Requests in flight at once, 1 to 64.",
        ),
        th.Property(
            "poll_interval",
            th.NumberType(exclusive_minimum=0),
            default=5,
            description="Seconds from a call's submission to the first query for its result; "
            "each further query waits 1.5 times longer, up to poll_interval_max.",
        ),
        th.Property(
            "poll_interval_max",
            th.NumberType(exclusive_minimum=0),
            default=60,
            description="Longest wait, in seconds, between two result queries of one call.",
        ),
        th.Property(
            "max_wait",
            th.NumberType(minimum=0),
            default=900,
            description="Longest wait, in seconds, for results once every call is checked (and "
            "submitted when needed). Calls still being analysed then get a 'pending' row and "
            "are collected by the next run, without another submission. 0 collects only what "
            "is ready.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType(minimum=1),
            default=60,
            description="Seconds to wait for the server at any point of a request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=5,
            description="Retries of a result query after 429, 5xx, a timeout, a dropped "
            "connection or a cut-off body. A call whose retries run out is left for the next "
            "run; when that happens to several calls in a row, the run stops with an error. A "
            "submission is never retried blindly: see the README.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType(minimum=0),
            default=1,
            description="First wait between retries, in seconds; it doubles on each retry. "
            "A Retry-After header from the server takes precedence (up to 120 s).",
        ),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Mask secrets before anything can log them, then check what the schema cannot."""
        redact_secrets(self.config, self.config_jsonschema)
        errors = super()._validate_config(raise_errors=False)
        if not errors:
            errors = _setting_errors(self.config)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def load_state(self, state: dict[str, t.Any]) -> None:
        """Check the state's shape first: one clear line for a malformed one, no traceback."""
        check_state(state, AnalysesStream.name)
        super().load_state(state)

    def discover_streams(self) -> list[AnalysesStream | FragmentsStream | TagsStream]:
        analyses = AnalysesStream(self)
        return [analyses, FragmentsStream(self, analyses), TagsStream(self, analyses)]

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run a sync; end an API failure or a bad state with one clear line and exit code 1."""
        try:
            super().invoke(*args, **kwargs)
        except RUN_ERRORS as exc:
            _fail(_failure_line(exc))

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """The SDK's ``--test``, ending like a sync does: one line per error, exit code 1.

        The SDK runs it while it parses the arguments, before ``invoke``, which handles a
        sync's errors; unhandled, each would end in a traceback.
        """
        try:
            super().cb_test(ctx, param, value)
        except ConfigValidationError as exc:
            for error in exc.errors:  # as the SDK's own handler does for a sync
                cls.logger.error("%s", error)
            cls.logger.error("Config validation failed")
            ctx.exit(1)
        except RUN_ERRORS as exc:
            _fail(_failure_line(exc))

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM or SIGINT, end the requests' retry waits first, so the process ends now."""
        for stream in self.streams.values():
            if isinstance(stream, AlovoiceStream):
                stream.stopping.set()
        super()._handle_termination(signum, frame)


def _setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """What JSON Schema cannot say about the settings (values of a wrong type are its job)."""
    errors = []
    if config.get("batch_config") is not None:
        errors.append(
            "batch_config: tap-alovoice does not write BATCH messages (a call is recorded as "
            "collected only once its rows are written); remove the setting"
        )
    api_url = str(config.get("api_url"))
    if urlsplit(api_url).scheme not in {"http", "https"} or not urlsplit(api_url).netloc:
        errors.append(f"api_url: {api_url!r} is not an http(s) URL")
    if float(config["poll_interval_max"]) < float(config["poll_interval"]):
        errors.append("poll_interval_max: must not be below poll_interval")
    try:
        configured_call_ids(config)
    except CallListError as exc:
        errors.append(str(exc))
    return errors


def main() -> None:
    """The ``tap-alovoice`` command: the SDK's CLI, after a check that its input files read.

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
    TapAlovoice.cli()


def _failure_line(exc: BaseException) -> str:
    if isinstance(exc, RetriableAPIError):
        return f"{exc} (retries exhausted)"
    if isinstance(exc, requests.RequestException):
        return f"alovoice request failed: {describe_failure(exc)} (retries exhausted)"
    return str(exc)


def _fail(message: str) -> t.NoReturn:
    logging.getLogger(TapAlovoice.name).error("%s", message)
    sys.exit(1)
