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

from tap_alovoice.calls import CallListError, configured_call_ids
from tap_alovoice.describe import describe_failure
from tap_alovoice.redaction import redact_secrets
from tap_alovoice.streams import AnalysesStream, FragmentsStream, TagsStream


class TapAlovoice(Tap):
    """Submits recorded calls to alovoice's AI analysis and collects the results."""

    name = "tap-alovoice"
    package_name = "call-analytics-taps"
    message_writer_class = MsgSpecWriter  # the SDK's fast writer, several times json's speed

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
            "(alovoice has no method that lists calls). Set call_ids, call_ids_file, or both.",
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
            description="Retries of a request after 429, 5xx, a timeout, a dropped connection "
            "or a cut-off body. A call whose retries run out is left for the next run; when that "
            "happens to several calls in a row, the run stops with an error.",
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

    def discover_streams(self) -> list[AnalysesStream | FragmentsStream | TagsStream]:
        analyses = AnalysesStream(self)
        return [analyses, FragmentsStream(self, analyses), TagsStream(self, analyses)]

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run a sync; end an API failure with one clear line and exit code 1."""
        try:
            super().invoke(*args, **kwargs)
        except FatalAPIError as exc:
            _fail(str(exc))
        except RetriableAPIError as exc:
            _fail(f"{exc} (retries exhausted)")
        except requests.RequestException as exc:
            _fail(f"alovoice request failed: {describe_failure(exc)} (retries exhausted)")


def _setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """What JSON Schema cannot say about the settings (values of a wrong type are its job)."""
    errors = []
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
    arguments = [part for argument in sys.argv[1:] for part in argument.split("=", 1)]
    for option, path in itertools.pairwise(arguments):
        if option in {"--config", "--state", "--catalog"} and path != "ENV":
            try:
                json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else f"not JSON ({exc})"
                _fail(f"cannot read {option} {path}: {reason}")
    TapAlovoice.cli()


def _fail(message: str) -> t.NoReturn:
    logging.getLogger(TapAlovoice.name).error("%s", message)
    sys.exit(1)
