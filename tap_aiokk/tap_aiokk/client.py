"""The aiokk export client: authentication, error handling and retries for every stream."""

from __future__ import annotations

import json
import typing as t

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from singer_tap_kit.redaction import redact
from singer_tap_kit.stream import KitStream
from tap_aiokk import body
from tap_aiokk.pagination import ExportRequest, ExportRequestPaginator, export_requests

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

EXPORT_PATH = "/api/v1/export/dialogs/{kind}"


class AiokkAPIError(FatalAPIError):
    """A permanent refusal by aiokk, quoting the vendor's text."""


class AiokkStream(KitStream[ExportRequest]):
    """Base stream: POSTs the token in a JSON body, one request per filter value."""

    http_method = "POST"
    path = EXPORT_PATH
    # records.py types every field itself, so the SDK need not conform them again.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def requests_session(self) -> requests.Session:
        """A session that streams bodies, so an export never sits in memory whole."""
        session = super().requests_session
        session.stream = True
        return session

    def get_new_paginator(self) -> ExportRequestPaginator:
        return ExportRequestPaginator(export_requests(self.config))

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        request.url = self.url_base + EXPORT_PATH.format(kind=_export(page.next_page_token).kind)
        return request

    @override
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
        super().validate_response(response)  # 429, 408, 5xx retried; other 4xx end the run
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
        return describe_export(response.request)

    def describe(self, request: requests.PreparedRequest | None) -> str:
        return describe_export(request)


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


def describe_export(request: requests.PreparedRequest | None) -> str:
    """``export call_type=2``: the filter a request asked for, never the token."""
    return f"export {_request_filter(request) or 'request'}"
