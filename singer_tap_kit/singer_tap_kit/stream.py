"""The base of every stream that makes requests: timeouts, the retry policy and its log lines.

Each tap's client subclasses it and says only what differs: its URLs, how to describe one of its
requests (never with a secret) and how to read its answers.
"""

from __future__ import annotations

import logging
import typing as t
from http import HTTPStatus

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams import RESTStream

from .retries import (
    RetryWaits,
    connection_test_timeout,
    describe_failure,
    jitter,
    retried_in_connection_test,
    without_backoff_library_lines,
    without_generic_failure_line,
)

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import Context

_T = t.TypeVar("_T")
LogFilter = t.Callable[[logging.LogRecord], bool]
RequestFunc = t.Callable[..., requests.Response]
# What the SDK's request_decorator retries (singer_sdk.streams.rest.RESTStream).
SDK_RETRIED = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def add_log_filter(logger: logging.Logger | logging.LoggerAdapter[t.Any], rule: LogFilter) -> None:
    """Filter what a stream logs. singer-sdk 0.55 gives streams a ``LoggerAdapter``, which has no
    ``addFilter``: the filter goes on the logger it wraps, where every record is handled."""
    target = logger.logger if isinstance(logger, logging.LoggerAdapter) else logger
    target.addFilter(rule)


class KitStream(RESTStream[_T]):
    """A REST stream that retries by the project's policy (see ``retries``) and says so in one
    WARNING line per retry, from settings ``request_timeout``, ``max_retries``, ``backoff_ms``."""

    # The SDK's validate_response retries these and 5xx; other 4xx end the run.
    extra_retry_statuses = (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_TIMEOUT)
    testing_connection = False
    """True in a connection test (``--test``; ``KitTap.prepare_connection_test`` sets it): a host
    that cannot be reached, or does not answer in time, is said at once instead of after the
    sync's retries (see ``retries.retried_in_connection_test``)."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        add_log_filter(self.logger, without_backoff_library_lines)
        add_log_filter(self.logger, without_generic_failure_line)

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """The SDK's request, with a failure while the body comes in (a read timeout, a dropped
        connection) tied to its request: the retry lines and the run's last line name it.

        A private SDK method, overridden because no public hook sees a failure of the body
        (the SDK's ``response_error_message`` sees answers only); ``tests/test_kit.py`` fails
        when its signature changes.
        """
        try:
            return super()._request(prepared_request, context)
        except requests.RequestException as exc:
            if exc.request is None:
                exc.request = prepared_request
            raise

    @property
    def timeout(self) -> int | tuple[float, float]:  # type: ignore[override]
        """``request_timeout``; in a connection test, with a shorter connect timeout.

        The SDK declares an int, but hands the value to ``requests`` as it is, which takes a
        (connect, read) pair too.
        """
        seconds = int(self.config["request_timeout"])
        return connection_test_timeout(seconds) if self.testing_connection else seconds

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """The SDK's retries; in a connection test, the same hooks, but a host that cannot be
        reached or does not answer in time is not tried again (``giveup``, which the SDK's own
        decorator does not offer)."""
        if not self.testing_connection:
            return super().request_decorator(func)
        retried: RequestFunc = backoff.on_exception(
            self.backoff_wait_generator,
            SDK_RETRIED,
            max_tries=self.backoff_max_tries,
            giveup=lambda exception: not retried_in_connection_test(exception),
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=self.logger,
        )(func)
        return retried

    def describe(self, request: requests.PreparedRequest | None) -> str:  # noqa: ARG002 (a hook)
        """What a request asked for, in a few words and never with a secret."""
        return f"{self.name} request"

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """The SDK's ``backoff_runtime`` hook, fed with the project's waits."""
        return self.backoff_runtime(value=RetryWaits(int(self.config["backoff_ms"]) / 1000))

    def backoff_jitter(self, value: float) -> float:
        return jitter(value)

    def backoff_max_tries(self) -> int:
        return int(self.config["max_retries"]) + 1

    def retry_reason(self, details: Details) -> str:
        """Why a request is tried again: its error line, or the request and the failure."""
        exception = details.get("exception")
        if isinstance(exception, RetriableAPIError):
            return str(exception)
        request = details["args"][0] if details.get("args") else None
        return f"{self.describe(request)}: {describe_failure(exception)}"

    def backoff_handler(self, details: Details) -> None:
        self.logger.warning(
            "Retry %d of %d in %.1f s: %s",
            details["tries"],
            self.backoff_max_tries() - 1,
            details.get("wait", 0.0),
            self.retry_reason(details),
        )
