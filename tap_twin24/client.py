"""The twin24 client: authentication, error handling and retries shared by every stream."""

from __future__ import annotations

import logging
import sys
import typing as t
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import backoff
import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from tap_twin24 import body

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_twin24.auth import Twin24Authenticator

LONGEST_WAIT = 300  # seconds; a longer Retry-After would stall a scheduled job
_T = t.TypeVar("_T")


class Twin24APIError(FatalAPIError):
    """A permanent refusal by twin24, quoting its message."""


def retry_after_seconds(exception: BaseException | None) -> float | None:
    """The server's ``Retry-After`` in seconds (a number or an HTTP date); the SDK ignores it."""
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


class Twin24Stream(RESTStream[_T]):
    """Base stream: bearer token from the login, twin24's errors sorted into retry or stop."""

    # records.py types every field itself, so the SDK need not conform them again.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    url_setting = "api_url"
    counted = True
    """Whether answers must carry ``count`` (see body.page)."""

    def __init__(self, tap: Tap, authenticator: Twin24Authenticator) -> None:
        super().__init__(tap)
        self._twin24_auth = authenticator
        self.logger.addFilter(_without_backoff_library_lines)
        self.logger.addFilter(_without_generic_failure_line)

    @property
    def authenticator(self) -> Twin24Authenticator:
        return self._twin24_auth

    @property
    def url_base(self) -> str:
        return str(self.config[self.url_setting]).rstrip("/")

    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """The SDK's request, with a failure while the body comes in (a read timeout, a dropped
        connection) tied to its request: the retry lines and the run's last line name it."""
        try:
            return super()._request(prepared_request, context)
        except requests.RequestException as exc:
            if exc.request is None:
                exc.request = prepared_request
            raise

    def validate_response(self, response: requests.Response) -> None:
        """Renew the token on 401, retry what is temporary, stop with twin24's own words."""
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            self.authenticator.rejected(response.request)
            msg = f"{self.describe(response.request)}: HTTP 401, the token has expired; renewing it"
            raise RetriableAPIError(msg, response)
        if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_TIMEOUT) or (
            status >= HTTPStatus.INTERNAL_SERVER_ERROR
        ):
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise Twin24APIError(self.response_error_message(response))
        self.authenticator.accepted()
        try:
            body.page(response, counted=self.counted)
        except msgspec.DecodeError as exc:
            kind = body.describe(response, exc)
            msg = f"{self.describe(response.request)}: the answer is {kind}"
            raise RetriableAPIError(msg, response) from exc
        except body.UnexpectedBodyError as exc:
            raise Twin24APIError(f"{self.describe(response.request)}: {exc}") from exc
        replaced = body.replaced_in(response)
        if replaced:
            self.logger.warning(
                "%s: bytes that are not UTF-8 were replaced with U+FFFD, in %s %s",
                self.describe(response.request),
                self.name,
                ", ".join(replaced),
            )

    def response_error_message(self, response: requests.Response) -> str:
        """One line: the request, the status, and twin24's message when it sent one."""
        text = f"{self.describe(response.request)}: HTTP {response.status_code} {response.reason}"
        error = body.error_text(response)
        return f"{text}: twin24 answered: {error}" if error else text

    def describe(self, request: requests.PreparedRequest | None) -> str:
        """``calls from=… to=… offset=…``: what was asked, without the token."""
        return describe_request(self.name, request)

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """Exponential waits, except that a ``Retry-After`` from the server wins."""
        waits = backoff.expo(factor=float(self.config["backoff_factor"]), max_value=LONGEST_WAIT)
        next(waits)
        exception = yield  # type: ignore[misc]
        while True:
            server_wait = retry_after_seconds(exception)
            if server_wait is None:
                exception = yield next(waits)
            else:
                exception = yield min(server_wait, LONGEST_WAIT)

    def backoff_max_tries(self) -> int:
        return int(self.config["max_retries"]) + 1

    def backoff_handler(self, details: Details) -> None:
        exception = details.get("exception")
        if isinstance(exception, RetriableAPIError):
            reason = str(exception)
        else:
            request = details["args"][0] if details.get("args") else None
            reason = f"{self.describe(request)}: {describe_failure(exception)}"
        self.logger.warning(
            "Retry %d of %d in %.1f s: %s",
            details["tries"],
            self.backoff_max_tries() - 1,
            details.get("wait", 0.0),
            reason,
        )


def _without_backoff_library_lines(record: logging.LogRecord) -> bool:
    """The backoff library logs each retry with the raw exception; backoff_handler says it
    in one readable line, and the run's last line says when retries ran out."""
    return not str(record.msg).startswith(("Backing off ", "Giving up "))


def _without_generic_failure_line(record: logging.LogRecord) -> bool:
    """The SDK logs "An unhandled error occurred while syncing ..." for any error; for the
    failures that TapTwin24.invoke ends in one line of its own, that line adds nothing."""
    failure = sys.exc_info()[1]
    return not (
        str(record.msg).startswith("An unhandled error occurred")
        and isinstance(failure, FatalAPIError | RetriableAPIError | requests.RequestException)
    )


def describe_request(stream: str, request: requests.PreparedRequest | None) -> str:
    if request is None or not request.url:
        return f"{stream} request"
    query = parse_qs(urlsplit(request.url).query)
    shown = [
        f"{name}={query[name][0]}"
        for name in ("taskId", "status", "from", "to", "offset")
        if name in query
    ]
    return " ".join([stream, *shown])


def give_up_message(exception: BaseException) -> str:
    """The run's last line when a request still fails after its last retry."""
    if isinstance(exception, RetriableAPIError):
        return f"{exception} (retries exhausted)"
    request = getattr(exception, "request", None)
    host = urlsplit(request.url).netloc if request is not None and request.url else "the API"
    where = describe_request("twin24", request)
    return f"{where} at {host}: {describe_failure(exception)} (retries exhausted)"


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
