"""tap-twin24: the Singer tap entry point, its settings and streams."""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

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
from singer_tap_kit.state import bookmarks_of
from singer_tap_kit.tap import KitTap
from tap_twin24.auth import Twin24Authenticator
from tap_twin24.client import Twin24Stream, describe_request
from tap_twin24.streams import CallMessagesStream, CallsStream, TasksStream
from tap_twin24.windows import LONGEST, PERIOD_CAP

if t.TYPE_CHECKING:
    import requests

PERIOD_FIELDS = ("updatedAt", "createdAt", "startedAt")
MAX_PAGE = 1000
MAX_WINDOW_HOURS = LONGEST // timedelta(hours=1)


class TapTwin24(KitTap):
    """Exports twin24 voice-robot calls, their transcripts and the call tasks."""

    name = "tap-twin24"
    package_name = "tap-twin24"
    renamed_settings: t.ClassVar[dict[str, str]] = RENAMED

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
            th.IntegerType(minimum=1, maximum=MAX_PAGE),
            default=MAX_PAGE,
            description=f"Rows per request, at most {MAX_PAGE}.",
        ),
        th.Property(
            "window_hours",
            th.IntegerType(minimum=1, maximum=MAX_WINDOW_HOURS),
            default=24,
            description="Length of the first time window the range is read in; the windows "
            "then follow the calls. After a window holding at most a quarter of "
            f"{PERIOD_CAP} calls (twin24's limit per period), empty ones included, the next "
            f"is twice as long (up to {LONGEST.days} days); after one holding more than half, "
            "it is half as long, but not shorter than window_hours; otherwise as long. A "
            f"window holding more than {PERIOD_CAP} calls is split in two, again and again, "
            "until every part fits.",
        ),
        th.Property(
            "settle_seconds",
            th.IntegerType(minimum=0),
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
        timeout_setting(60),
        retries_setting(),
        backoff_setting(1000),
        log_details_setting(),
        *personal_data.settings(),
    ).to_dict()

    def setting_errors(self, config: t.Mapping[str, t.Any]) -> list[str]:
        return _setting_errors(config)

    def state_errors(self, state: t.Mapping[str, t.Any]) -> list[str]:
        """Each calls bookmark must be a time (the SDK would end in a traceback)."""
        for entry in bookmarks_of(state, CallsStream.name):
            value = entry.get("replication_key_value")
            try:
                if value is not None:
                    datetime.fromisoformat(str(value))
            except ValueError:
                return [f"the calls bookmark {value!r} is not a date-time"]
        return []

    def discover_streams(self) -> list[CallsStream | CallMessagesStream | TasksStream]:
        authenticator = Twin24Authenticator(self.config, self.logger)
        calls = CallsStream(self, authenticator)
        return [calls, CallMessagesStream(self, calls), TasksStream(self, authenticator)]

    def prepare_connection_test(self) -> None:
        """The login is tested too: its own requests give up as the streams' do."""
        super().prepare_connection_test()
        for stream in self.streams.values():
            if isinstance(stream, Twin24Stream):
                stream.authenticator.testing_connection = True

    @classmethod
    def describe_request(cls, request: requests.PreparedRequest | None) -> str:
        return describe_request("twin24", request)


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
    urls = (url_error(name, config.get(name)) for name in ("auth_url", "api_url", "tasks_url"))
    errors.extend(problem for problem in urls if problem)
    return errors


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now().astimezone().tzinfo)


def main() -> None:
    """The ``tap-twin24`` command."""
    run_cli(TapTwin24)
