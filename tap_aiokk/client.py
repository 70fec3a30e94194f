"""The aiokk export client: authentication, error handling and retries for every stream."""

from __future__ import annotations

import json
import logging
import sys
import typing as t
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from tap_aiokk import body
from tap_aiokk.pagination import ExportRequest, ExportRequestPaginator, export_requests
from tap_aiokk.redaction import redact

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

EXPORT_PATH = "/api/v1/export/dialogs/{kind}"
LONGEST_WAIT = 300  # seconds; a longer Retry-After would stall a scheduled job


class AiokkAPIError(FatalAPIError):
    """A permanent refusal by aiokk, quoting the vendor's text."""


def retry_after_seconds(exception: BaseException | None) -> float | None:
    """The server's ``Retry-After`` in seconds, when it sent one (the SDK ignores it).

    It may be a number of seconds or an HTTP date.
    """
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


class AiokkStream(RESTStream[ExportRequest]):
    """Base stream: POSTs the token in a JSON body, one request per filter value."""

    http_method = "POST"
    path = EXPORT_PATH
    # records.py types every field itself, so the SDK need not conform them again.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    extra_retry_statuses = (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_TIMEOUT)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(_without_backoff_library_lines)
        self.logger.addFilter(_without_generic_failure_line)

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    @property
    def requests_session(self) -> requests.Session:
        """A session that streams bodies, so an export never sits in memory whole."""
        session = super().requests_session
        session.stream = True
        return session

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

    def get_new_paginator(self) -> ExportRequestPaginator:
        return ExportRequestPaginator(export_requests(self.config))

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        request.url = self.url_base + EXPORT_PATH.format(kind=_export(page.next_page_token).kind)
        return request

    def prepare_request_payload(
        self,
        context: Context | None,
        next_page_token: ExportRequest | None,
    ) -> dict[str, t.Any]:
        export = _export(next_page_token)
        return {"token": self.config["token"], export.param: export.value}

    def validate_response(self, response: requests.Response) -> None:
        """Sort failures into retriable and fatal, then take in and check the whole body.

        Runs inside the SDK's retry loop, so a body that breaks off is fetched again.
        """
        status = response.status_code
        if status in self.extra_retry_statuses or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise AiokkAPIError(self.response_error_message(response))
        received = body.spool(response)
        response.close()
        try:
            received, count, replaced = body.check_repairing_utf8(received)
        except body.IncompleteBodyError as exc:
            received.close()
            raise RetriableAPIError(f"{self._describe(response)}: {exc}", response) from exc
        except body.UnexpectedBodyError as exc:
            received.close()
            raise AiokkAPIError(f"{self._describe(response)}: {exc}") from exc
        except body.VendorError as exc:
            received.close()
            text = f"{self._describe(response)}: aiokk answered: {self.redact(str(exc))}"
            if exc.transient:
                raise RetriableAPIError(text, response) from exc
            raise AiokkAPIError(text) from exc
        response.raw = received
        if replaced:
            self.logger.warning(
                "%s: bytes that are not UTF-8 were replaced with U+FFFD, in dialogs %s",
                self._describe(response),
                ", ".join(replaced),
            )
        self.logger.info(
            "%s: received %d dialogs (%.1f MB)",
            self._describe(response),
            count,
            body.size_mb(received),
        )

    def response_error_message(self, response: requests.Response) -> str:
        """Say what failed in one line, quoting aiokk's error text when it sent one."""
        text = f"{self._describe(response)}: HTTP {response.status_code} {response.reason}"
        try:
            error = body.vendor_error_text(response.json())
        except ValueError:
            error = None
        return f"{text}: aiokk answered: {self.redact(error)}" if error else text

    def redact(self, text: str) -> str:
        """Mask the token in text that came from the server, which may echo it."""
        return redact(text, [str(self.config["token"])])

    def _describe(self, response: requests.Response) -> str:
        filter_request = _request_filter(response.request)
        return f"export {filter_request}" if filter_request else "export request"

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
            where = _request_filter(request) or "request"
            reason = f"export {where}: {describe_failure(exception)}"
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
    failures that TapAiokk.invoke ends in one line of its own, that line adds nothing."""
    failure = sys.exc_info()[1]
    return not (
        str(record.msg).startswith("An unhandled error occurred")
        and isinstance(failure, FatalAPIError | RetriableAPIError | requests.RequestException)
    )


def _export(token: ExportRequest | None) -> ExportRequest:
    if token is None:  # pragma: no cover - the paginator always holds a request
        msg = "no export request to send"
        raise RuntimeError(msg)
    return token


def _request_filter(request: requests.PreparedRequest | None) -> str | None:
    """``call_type=2`` for the filter a request asked for; never the token."""
    if request is None or not request.body or not request.url:
        return None
    kind = request.url.rstrip("/").rsplit("/", 1)[-1]
    try:
        payload = json.loads(request.body)
    except ValueError:
        return kind
    values = [f"{key}={value}" for key, value in payload.items() if key != "token"]
    return ", ".join(values) or kind


def give_up_message(exception: BaseException) -> str:
    """The run's last line when a request still fails after its last retry."""
    if isinstance(exception, RetriableAPIError):
        return f"{exception} (retries exhausted)"
    request = getattr(exception, "request", None)
    where = _request_filter(request) or "request"
    host = urlsplit(request.url).netloc if request is not None and request.url else "the API"
    return f"export {where} at {host}: {describe_failure(exception)} (retries exhausted)"


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
