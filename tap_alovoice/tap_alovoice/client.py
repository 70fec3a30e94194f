"""The alovoice client: builds and sends the two requests, and sorts their answers.

Every request goes through the SDK (`request_decorator`, `_request`, `validate_response`), so
its retries, response checks and metrics apply. The token is part of every URL path, so no
message here ever shows a URL: requests are named by step and call id instead.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
import typing as t
from http import HTTPStatus
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams.rest import PageContext

from singer_tap_kit.redaction import host_of, redact
from singer_tap_kit.retries import (
    describe_failure,
    never_connected,
    retried_in_connection_test,
    timed_out,
    wait_before_retry,
)
from singer_tap_kit.stream import SDK_RETRIED, KitStream
from tap_alovoice import replies
from tap_alovoice.describe import (
    CUT_JSON,
    RESULT,
    describe_body,
    describe_request,
    step_and_call,
)
from tap_alovoice.retries import Trouble, may_have_arrived

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest

    Send = t.Callable[[requests.PreparedRequest, Context | None], requests.Response]


class TokenRefusedError(FatalAPIError):
    """alovoice refused the token: no request of the run can succeed."""


class NotAlovoiceError(FatalAPIError):
    """An answer no alovoice endpoint gives, such as a web server's 404 page: a wrong api_url."""


class RunStoppedError(Exception):
    """The run is ending: a request not yet sent is not sent."""


class AlovoiceStream(KitStream[str]):
    """Base stream: GET requests whose path holds the token and a call id."""

    # The SDK tags each request's duration metric with this template, never the URL (which holds
    # the token): every request has this shape, the step being RESULT or SUBMIT.
    path = "/{step}/{token}/{call_id}"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = threading.Event()
        # One connection per concurrent request, kept open between requests.
        pool = max(int(self.config.get("max_concurrency", 1)), 1)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool)
        for scheme in ("http://", "https://"):
            self.requests_session.mount(scheme, adapter)
        self._send_with_retries = self.request_decorator(self._send)

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def http_headers(self) -> dict[str, str]:
        return {**super().http_headers, "Accept": "application/json"}

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """GET {api_url}/{step}/{token}/{call_id}; the step is passed as the page token."""
        request = super().get_http_request(page=page)
        call_id = str((page.stream_context or {})["call_id"])
        token = quote(str(self.config["token"]), safe="")
        request.url = f"{self.url_base}/{page.next_page_token}/{token}/{quote(call_id, safe='')}"
        return request

    def prepare(self, step: str, call_id: str) -> requests.PreparedRequest:
        """The request for one step (RESULT or SUBMIT) of one call."""
        request = self.get_http_request(page=PageContext({"call_id": call_id}, step))
        return self.build_prepared_request(
            method=request.method, url=request.url, headers=request.headers
        )

    def query_result(self, request: requests.PreparedRequest) -> replies.Reply | Trouble:
        """Ask for a call's result, retrying 429, 5xx, timeouts and cut bodies."""
        try:
            response = self._send_with_retries(request, _context(request))
        except (RetriableAPIError, requests.RequestException) as exc:
            return self._trouble(exc, request, self.backoff_max_tries())
        return self._reply(response)

    def check_token(self, call_id: str) -> None:
        """Ask for one call's result, so that a refused token ends every run, even one with
        nothing left to collect, and a --test with every call settled.

        A result query is free (a submission is billed) and its answer is dropped: whether
        alovoice knows the call or not, an answer about the call means the token is taken.
        ``validate_response`` raises for a refused token (401, 403, or an error that names the
        token) and for a wrong api_url, and a host that no connection reaches raises once the
        retries run out: each ends the run with one line, as does no answer in time in a
        connection test (which must answer within seconds, not after each call's timeout). Any
        other failure may be this one call's (a 5xx, a cut body): the calls are asked about all
        the same, and the pipeline's own rules decide.
        """
        self.logger.info("Checking the token with a result query for call %s", call_id)
        self.stopping.clear()  # a run in this process before may have set it
        request = self.prepare(RESULT, call_id)
        try:
            self._send_with_retries(request, _context(request))
        except (RetriableAPIError, requests.RequestException) as exc:
            if never_connected(exc) or (self.testing_connection and timed_out(exc)):
                raise
            reason = self._trouble(exc, request, self.backoff_max_tries()).reason
            self.logger.warning(
                "The token check got no usable answer (%s); the calls are asked about all the same",
                reason,
            )

    def submit(self, request: requests.PreparedRequest) -> replies.Reply | Trouble:
        """Submit a call once. Never retried here: whether a failed submission went through
        is only known by asking for the result, and the pipeline decides what comes next."""
        try:
            response = self._send(request, _context(request))
        except (RetriableAPIError, requests.RequestException) as exc:
            return self._trouble(exc, request, 1)
        return self._reply(response)

    def _reply(self, response: requests.Response) -> replies.Reply:
        reply = replies.read_reply(response.status_code, response.json())
        if reply.error is None:
            return reply
        return dataclasses.replace(reply, error=self.redact(reply.error))

    def _send(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """The SDK's ``_request``, unless the run is ending (then even a retry is not sent)."""
        if self.stopping.is_set():
            raise RunStoppedError
        return self._request(prepared_request, context)

    def _trouble(
        self, exception: BaseException, request: requests.PreparedRequest, attempts: int
    ) -> Trouble:
        if isinstance(exception, RetriableAPIError):
            reason = str(exception)
        else:
            reason = f"{describe_request(request)}: {describe_failure(exception)}"
        wait = wait_before_retry(attempts, int(self.config["backoff_ms"]) / 1000, exception)
        return Trouble(reason, wait, may_have_arrived(exception))

    def validate_response(self, response: requests.Response) -> None:
        """Retry what may pass next time; end the run for a refused token or a wrong URL.

        Runs inside the SDK's retry loop, so a cut or non-JSON body is fetched again.
        """
        response.encoding = "utf-8"  # JSON is UTF-8 (RFC 8259), whatever the header says
        status = response.status_code
        if status in self.extra_retry_statuses or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
            raise TokenRefusedError(self._token_refused(response))
        try:
            payload = response.json()
        except ValueError as exc:
            kind = describe_body(response)
            if status >= HTTPStatus.BAD_REQUEST and kind != CUT_JSON:
                raise NotAlovoiceError(self._not_alovoice(response)) from exc
            text = f"{describe_request(response.request)}: the answer is {kind}"
            raise RetriableAPIError(text, response) from exc
        error = replies.vendor_error(payload)
        if error is not None and replies.names_the_token(self.redact(error)):
            raise TokenRefusedError(self._token_refused(response))
        try:
            replies.read_reply(status, payload)
        except replies.UnexpectedAnswerError as exc:
            if status >= HTTPStatus.BAD_REQUEST:
                raise NotAlovoiceError(self._not_alovoice(response)) from exc
            text = f"{describe_request(response.request)}: {exc}"
            raise RetriableAPIError(text, response) from exc
        if not _is_utf8(response.content):  # text kept in a legacy encoding, say
            self.logger.warning(
                "%s: bytes that are not UTF-8 were replaced with U+FFFD",
                describe_request(response.request),
            )

    def response_error_message(self, response: requests.Response) -> str:
        """One line naming the step and call, never the URL (which holds the token)."""
        text = (
            f"{describe_request(response.request)}: HTTP {response.status_code} {response.reason}"
        )
        try:
            error = replies.vendor_error(response.json())
        except ValueError:
            error = None
        return f"{text}: alovoice answered: {self.redact(error)}" if error else text

    def _token_refused(self, response: requests.Response) -> str:
        refusal = self.response_error_message(response)
        return f"alovoice refused the token ({refusal}); check the token setting"

    def _not_alovoice(self, response: requests.Response) -> str:
        host = host_of(response.url)
        return (
            f"{describe_request(response.request)}: HTTP {response.status_code} "
            f"{response.reason} from {host}, with no alovoice error body; check api_url"
        )

    def redact(self, text: str) -> str:
        """Mask the token in text that came from the server, which may echo it."""
        return redact(text, [str(self.config["token"])])

    def request_decorator(self, func: Send) -> Send:
        """The SDK's retries, with its hooks (``backoff_wait_generator``, ``backoff_jitter``,
        ``backoff_max_tries``, ``backoff_handler``), but with waits that end as soon as the
        run is stopping: a fatal error or SIGTERM never waits for a Retry-After to run out."""

        @functools.wraps(func)
        def with_retries(
            request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            waits = self.backoff_wait_generator()
            next(waits)
            start, tries = time.monotonic(), 0
            while True:
                tries += 1
                try:
                    return func(request, context)
                except SDK_RETRIED as exc:  # what the SDK's request_decorator retries
                    if tries >= self.backoff_max_tries() or self._not_retried(exc):
                        raise
                    wait = self.backoff_jitter(waits.send(exc))
                    details = {
                        "target": func,
                        "args": (request, context),
                        "kwargs": {},
                        "tries": tries,
                        "elapsed": time.monotonic() - start,
                        "wait": wait,
                        "exception": exc,
                    }
                    self.backoff_handler(t.cast("Details", details))
                if self.stopping.wait(wait):
                    raise RunStoppedError

        return with_retries

    def _not_retried(self, exception: BaseException) -> bool:
        """In a connection test, a host that cannot be reached or does not answer in time is
        said at once (the kit's ``request_decorator`` does the same for the SDK's retries)."""
        return self.testing_connection and not retried_in_connection_test(exception)

    def describe(self, request: requests.PreparedRequest | None) -> str:
        return describe_request(request)

    def backoff_handler(self, details: Details) -> None:
        if self.stopping.is_set():  # the run's last line is written; nothing follows it
            return
        super().backoff_handler(details)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _context(request: requests.PreparedRequest) -> Context:
    return {"call_id": step_and_call(request)[1]}
