"""The retry policy every tap follows, and failures said in a few words.

Waits double from ``backoff_ms`` on each retry, a server's ``Retry-After`` (seconds or an HTTP
date) takes precedence, and no wait is longer than LONGEST_WAIT. A wait gets up to a tenth more
at random, so parallel retries spread out, but a ``Retry-After`` is never cut short.
"""

from __future__ import annotations

import math
import random
import sys
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

if TYPE_CHECKING:
    import logging

LONGEST_WAIT = 300.0  # seconds; a longer Retry-After would stall a scheduled run


def retry_after_seconds(exception: object) -> float | None:
    """The server's ``Retry-After`` in seconds (a number or an HTTP date), when it sent one.

    The SDK's default waits ignore it.
    """
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; an odd one without a zone, too
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def wait_before_retry(attempt: int, first_wait: float, exception: object) -> float:
    """Seconds before retry number ``attempt`` (1-based): ``Retry-After`` when the server sent
    one, else ``first_wait`` doubling per retry; never more than LONGEST_WAIT."""
    server_wait = retry_after_seconds(exception)
    if server_wait is not None:
        return min(server_wait, LONGEST_WAIT)
    return float(min(first_wait * 2 ** (attempt - 1), LONGEST_WAIT))


class RetryWaits:
    """The ``value`` callable for the SDK's ``backoff_runtime`` hook: one per request, it counts
    the request's retries and answers ``wait_before_retry`` for the failure it is given."""

    def __init__(self, first_wait: float) -> None:
        self.first_wait = first_wait
        self.attempt = 0

    def __call__(self, exception: object) -> float:
        self.attempt += 1
        return wait_before_retry(self.attempt, self.first_wait, exception)


def jitter(wait: float) -> float:
    """Up to 10% more, so parallel retries spread out, but never past LONGEST_WAIT and never
    less than ``wait`` (a Retry-After is not cut short)."""
    spread = random.random() / 10  # noqa: S311 (spreading retries, not a secret)
    return max(wait, min(wait * (1 + spread), LONGEST_WAIT))


def describe_failure(exception: object) -> str:
    """A network failure in a few words, without the URL or the connection pool's internals."""
    if exception is None:
        return "unknown failure"
    cause = exception.args[0] if isinstance(exception, Exception) and exception.args else None
    if isinstance(exception, requests.exceptions.Timeout) or isinstance(cause, Urllib3TimeoutError):
        return "no answer within the request timeout"
    if isinstance(exception, requests.exceptions.ChunkedEncodingError):
        return "the connection broke off while the body was being received"
    if isinstance(exception, requests.exceptions.ConnectionError):
        return "the connection failed or was dropped"
    return type(exception).__name__


def without_backoff_library_lines(record: logging.LogRecord) -> bool:
    """The backoff library logs each retry with the raw exception; the stream's
    ``backoff_handler`` says it in one readable line, and the run's last line says when
    retries ran out."""
    return not str(record.msg).startswith(("Backing off ", "Giving up "))


# What the tap ends with one line of its own; the SDK's generic line about it adds nothing.
ONE_LINE_FAILURES = (FatalAPIError, RetriableAPIError, requests.RequestException)


def without_generic_failure_line(record: logging.LogRecord) -> bool:
    """The SDK logs "An unhandled error occurred while syncing ..." for any exception that ends
    a stream's sync, even the record limit that ``--test`` stops at on purpose; for those and
    for the failures that the tap ends in one line of its own, that line adds nothing."""
    if not str(record.msg).startswith("An unhandled error occurred"):
        return True
    failure = sys.exc_info()[1]
    if failure is None and record.exc_info:
        failure = record.exc_info[1]
    return not isinstance(failure, ONE_LINE_FAILURES) and type(failure).__name__ not in {
        "MaxRecordsLimitException",
        "AbortedSyncPausedException",
        "AbortedSyncFailedException",
    }
