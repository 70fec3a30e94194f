"""The twin24 client: authentication, error handling and retries shared by every stream."""

from __future__ import annotations

import typing as t
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import msgspec
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel

from singer_tap_kit.stream import KitStream
from tap_twin24 import body

if t.TYPE_CHECKING:
    import requests
    from singer_sdk import Tap

    from tap_twin24.auth import Twin24Authenticator

_T = t.TypeVar("_T")


class Twin24APIError(FatalAPIError):
    """A permanent refusal by twin24, quoting its message."""


class Twin24Stream(KitStream[_T]):
    """Base stream: bearer token from the login, twin24's errors sorted into retry or stop."""

    # records.py types every field itself, so the SDK need not conform them again.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    url_setting = "api_url"
    counted = True
    """Whether answers must carry ``count`` (see body.page)."""

    def __init__(self, tap: Tap, authenticator: Twin24Authenticator) -> None:
        super().__init__(tap)
        self._twin24_auth = authenticator

    @property
    def authenticator(self) -> Twin24Authenticator:
        return self._twin24_auth

    @property
    def url_base(self) -> str:
        return str(self.config[self.url_setting]).rstrip("/")

    def validate_response(self, response: requests.Response) -> None:
        """Renew the token on 401, retry what is temporary, stop with twin24's own words."""
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            self.authenticator.rejected(response.request)
            msg = f"{self.describe(response.request)}: HTTP 401, the token has expired; renewing it"
            raise RetriableAPIError(msg, response)
        super().validate_response(response)  # 429, 408, 5xx retried; other 4xx end the run
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
