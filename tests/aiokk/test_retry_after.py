"""``Retry-After`` comes as seconds or as an HTTP date; both are honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_aiokk.kit.retries import retry_after_seconds


def _throttled(retry_after: str | None) -> RetriableAPIError:
    response = requests.Response()
    response.status_code = 429
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return RetriableAPIError("429", response)


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [("7", 7, 7), ("0.5", 0.5, 0.5), ("-3", 0, 0)],
)
def test_seconds(header: str, low: float, high: float) -> None:
    seconds = retry_after_seconds(_throttled(header))
    assert seconds is not None
    assert low <= seconds <= high


def test_http_date() -> None:
    moment = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds(_throttled(moment)) or 0) <= 30


@pytest.mark.parametrize("header", [None, "soon"])
def test_missing_or_unreadable(header: str | None) -> None:
    assert retry_after_seconds(_throttled(header)) is None
