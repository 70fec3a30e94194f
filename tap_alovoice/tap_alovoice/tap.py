"""tap-alovoice: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import typing as t

from singer_sdk import Tap
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
from singer_tap_kit.tap import KitTap
from tap_alovoice.calls import CallListError, configured_call_ids
from tap_alovoice.client import AlovoiceStream
from tap_alovoice.describe import describe_request
from tap_alovoice.ledger import ledger_problem
from tap_alovoice.streams import AnalysesStream, FragmentsStream, TagsStream

if t.TYPE_CHECKING:
    from types import FrameType

    import requests
    from singer_sdk.helpers.capabilities import CapabilitiesEnum

# Not offered: a start date (the tap analyses the calls it is given, whatever their date;
# singer-sdk 0.55 would add a start_date setting for it), ACTIVATE_VERSION (a table version
# switch would make a target drop the rows of earlier runs), and BATCH (files would be
# announced after the state that records their calls as collected). Compared by value: the SDK
# moves capabilities between its enums (0.55 has no TapCapabilities.ACTIVATE_VERSION).
LEFT_OUT = frozenset({"start-date", "activate-version", "batch"})


class TapAlovoice(KitTap):
    """Submits recorded calls to alovoice's AI analysis and collects the results."""

    name = "tap-alovoice"
    package_name = "tap-alovoice"
    renamed_settings: t.ClassVar[dict[str, str]] = {
        **RENAMED,
        "poll_interval": "poll_interval_ms, in milliseconds",
        "poll_interval_max": "poll_interval_max_ms, in milliseconds",
    }
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        c for c in Tap.capabilities if c.value not in LEFT_OUT
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
            "starting with # are skipped), read at the start of each run. A relative path "
            "starts in the Meltano project's folder (MELTANO_PROJECT_ROOT, which Meltano sets), "
            "without Meltano in the working directory; ~ is the home folder. Used together "
            "with call_ids when both are set.",
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
            "poll_interval_ms",
            th.IntegerType(minimum=1),
            title="Poll interval (ms)",
            default=1000,
            description="Milliseconds from a call's submission to the first query for its "
            "result, until the tap has timed an analysis. After that, the first query comes "
            "about when analyses were seen to be done, in this run or the last (the state keeps "
            "the time): see the README.",
        ),
        th.Property(
            "poll_interval_max_ms",
            th.IntegerType(minimum=1),
            title="Longest poll interval (ms)",
            default=60000,
            description="Longest wait, in milliseconds, between two result queries of one call.",
        ),
        th.Property(
            "max_wait",
            th.IntegerType(minimum=0),
            title="Longest wait (s)",
            default=900,
            description="Longest wait, in seconds, for results once every call is checked (and "
            "submitted when needed). Calls still being analysed then get a 'pending' row and "
            "are collected by the next run, without another submission. 0 collects only what "
            "is ready.",
        ),
        timeout_setting(60),
        retries_setting(
            "Retries of a result query after 429, 5xx, a timeout, a dropped "
            "connection or a cut-off body. A call whose retries run out is left for the next "
            "run; when that happens to several calls in a row, the run stops with an error. A "
            "failed submission is sent again, at most this many times, only once alovoice has "
            "answered that it does not know the call: see the README."
        ),
        backoff_setting(1000),
        log_details_setting(),
        *personal_data.settings(),
    ).to_dict()

    def setting_errors(self, config: t.Mapping[str, t.Any]) -> list[str]:
        return _setting_errors(config)

    def state_errors(self, state: t.Mapping[str, t.Any]) -> list[str]:
        problem = ledger_problem(state, AnalysesStream.name)
        return [problem] if problem else []

    def discover_streams(self) -> list[AnalysesStream | FragmentsStream | TagsStream]:
        analyses = AnalysesStream(self)
        return [analyses, FragmentsStream(self, analyses), TagsStream(self, analyses)]

    @classmethod
    def describe_request(cls, request: requests.PreparedRequest | None) -> str:
        return "alovoice " + describe_request(request)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM or SIGINT, end the requests' retry waits first, so the process ends now.

        A private SDK method: no public hook runs on a termination signal. tests/test_kit.py
        fails when the SDK changes its signature."""
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
    if problem := url_error("api_url", config.get("api_url")):
        errors.append(problem)
    if int(config["poll_interval_max_ms"]) < int(config["poll_interval_ms"]):
        errors.append("poll_interval_max_ms: must not be below poll_interval_ms")
    try:
        configured_call_ids(config)
    except CallListError as exc:
        errors.append(str(exc))
    return errors


def main() -> None:
    """The ``tap-alovoice`` command."""
    run_cli(TapAlovoice)
