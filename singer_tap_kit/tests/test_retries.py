"""The kit's retry policy: how long to wait before each retry, and a failure in a few words.

Waits double from ``backoff_ms``, a server's ``Retry-After`` (seconds or an HTTP date) wins,
nothing waits longer than LONGEST_WAIT, and jitter only ever adds. Each tap holds an identical
copy of the kit (tests/test_kit.py), so the aiokk copy stands for all three. No HTTP here.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from singer_tap_kit import retries

LONGEST = retries.LONGEST_WAIT


def answer(retry_after: str | None) -> requests.HTTPError:
    """A failure carrying a 429 answer, with ``Retry-After`` when given."""
    response = requests.Response()
    response.status_code = 429
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return requests.HTTPError(response=response)


def http_date(offset: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + offset, usegmt=True)


# Retry-After in seconds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("7", 7.0, id="whole seconds"),
        pytest.param("0.5", 0.5, id="a fraction"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-3", 0.0, id="negative is no wait"),
        pytest.param("100000", 100000.0, id="long, capped only by the wait"),
    ],
)
def test_retry_after_in_seconds(header: str, seconds: float) -> None:
    assert retries.retry_after_seconds(answer(header)) == seconds


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("soon", id="a word"),
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="infinite"),
        pytest.param("", id="empty"),
        pytest.param("Fri, 32 Foo 2025 99:00:00 GMT", id="a broken date"),
    ],
)
def test_unreadable_retry_after_is_no_retry_after(header: str) -> None:
    assert retries.retry_after_seconds(answer(header)) is None


def test_no_header_and_no_response_are_no_retry_after() -> None:
    assert retries.retry_after_seconds(answer(None)) is None
    assert retries.retry_after_seconds(requests.ConnectionError()) is None
    assert retries.retry_after_seconds(None) is None


def test_the_sdks_retriable_error_carries_its_response() -> None:
    response = answer("4").response
    assert retries.retry_after_seconds(RetriableAPIError("429", response)) == 4.0


# Retry-After as an HTTP date ----------------------------------------------------------------


def test_retry_after_as_a_future_http_date_is_the_seconds_until_then() -> None:
    seconds = retries.retry_after_seconds(answer(http_date(timedelta(seconds=30))))
    assert seconds is not None and 25 <= seconds <= 30


def test_retry_after_as_a_past_http_date_is_no_wait() -> None:
    assert retries.retry_after_seconds(answer(http_date(-timedelta(hours=1)))) == 0.0


def test_an_http_date_without_a_zone_is_read_as_gmt() -> None:
    """RFC 9110 dates are GMT; ``-0000`` (no zone known) is taken as GMT too."""
    moment = datetime.now(UTC) + timedelta(seconds=60)
    header = moment.strftime("%a, %d %b %Y %H:%M:%S -0000")
    seconds = retries.retry_after_seconds(answer(header))
    assert seconds is not None and 55 <= seconds <= 60


# The wait before each retry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "header", "wait"),
    [
        pytest.param(1, None, 0.5, id="first retry waits backoff_ms"),
        pytest.param(3, None, 2.0, id="third waits four times as long"),
        pytest.param(20, None, LONGEST, id="never beyond the longest wait"),
        pytest.param(1, "7", 7.0, id="Retry-After in seconds wins"),
        pytest.param(3, "1", 1.0, id="Retry-After wins even when shorter"),
        pytest.param(1, "0", 0.0, id="Retry-After zero"),
        pytest.param(1, "-3", 0.0, id="negative Retry-After is no wait"),
        pytest.param(1, "100000", LONGEST, id="Retry-After capped"),
        pytest.param(2, "soon", 1.0, id="unreadable Retry-After ignored"),
        pytest.param(2, "nan", 1.0, id="Retry-After nan ignored"),
        pytest.param(2, "inf", 1.0, id="Retry-After infinite ignored"),
    ],
)
def test_the_wait_before_a_retry(attempt: int, header: str | None, wait: float) -> None:
    assert retries.wait_before_retry(attempt, 0.5, answer(header)) == wait


def test_an_http_date_a_day_ahead_waits_the_longest_wait() -> None:
    assert retries.wait_before_retry(1, 0.5, answer(http_date(timedelta(days=1)))) == LONGEST


def test_an_http_date_in_the_past_retries_at_once() -> None:
    assert retries.wait_before_retry(4, 0.5, answer(http_date(-timedelta(minutes=5)))) == 0.0


def test_retry_waits_count_the_retries_of_one_request() -> None:
    waits = retries.RetryWaits(0.25)
    assert [waits(None), waits(None), waits(answer("4")), waits(None)] == [0.25, 0.5, 4.0, 2.0]


# Jitter ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "wait", "jittered"),
    [
        pytest.param(0.0, 10.0, 10.0, id="nothing added at the lowest draw"),
        pytest.param(0.5, 10.0, 10.5, id="a twentieth at the middle draw"),
        pytest.param(0.999, 10.0, 10.999, id="just under a tenth at the highest draw"),
        pytest.param(0.999, LONGEST * 0.95, LONGEST, id="never past the longest wait"),
        pytest.param(0.999, LONGEST * 2, LONGEST * 2, id="a longer wait is never cut short"),
        pytest.param(0.5, 0.0, 0.0, id="no wait stays no wait"),
    ],
)
def test_jitter_adds_up_to_a_tenth(
    monkeypatch: pytest.MonkeyPatch, draw: float, wait: float, jittered: float
) -> None:
    monkeypatch.setattr(random, "random", lambda: draw)
    assert retries.jitter(wait) == pytest.approx(jittered)


def test_jitter_spreads_parallel_retries_within_its_bounds() -> None:
    values = [retries.jitter(10.0) for _ in range(200)]
    assert all(10.0 <= value <= 11.0 for value in values)
    assert len(set(values)) > 1


# A failure in a few words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (requests.exceptions.ReadTimeout(), "no answer within the request timeout"),
        (requests.exceptions.ChunkedEncodingError(), "broke off"),
        (requests.exceptions.ConnectionError(), "the connection failed or was dropped"),
        (None, "unknown failure"),
    ],
)
def test_a_failure_in_a_few_words(failure: object, words: str) -> None:
    assert words in retries.describe_failure(failure)
