"""twin24 login: a JWT from the IAM host, reused until shortly before it expires.

The token is renewed with the refresh token when it is about to expire or when the API
answers 401, and by logging in again when refreshing fails. A refused login is permanent.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import typing as t
from http import HTTPStatus

import requests
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.exceptions import FatalAPIError

from singer_tap_kit.redaction import host_of, mask_also
from singer_tap_kit.retries import (
    connection_test_timeout,
    describe_failure,
    retried_in_connection_test,
    wait_before_retry,
)
from tap_twin24.body import error_text

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
TOKEN_TTL = 3600
"""Lifetime asked for at login and refresh, in seconds (the server may grant less)."""
RENEW_AHEAD = 60.0
"""Renew this many seconds before ``exp``, or at a tenth of a shorter lifetime."""


class _Answer(t.NamedTuple):
    """A failed answer, as the retry policy reads it (its ``Retry-After``)."""

    response: requests.Response | None


class LoginRefusedError(FatalAPIError):
    """twin24 refused the credentials or the token: retrying cannot help."""


class LoginUnavailableError(FatalAPIError):
    """The IAM host kept failing, so no token could be obtained."""


def expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, in epoch seconds, without verifying the signature."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


class Twin24Authenticator(APIAuthenticatorBase):
    """Adds ``Authorization: Bearer`` to each request, renewing the token when it is due."""

    def __init__(
        self,
        config: t.Mapping[str, t.Any],
        logger: logging.Logger,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` gives epoch seconds, as ``exp`` counts them (a test passes its own)."""
        super().__init__()
        self.auth_url = str(config["auth_url"]).rstrip("/")
        self.email = config.get("email")
        self._password = config.get("password")
        self.timeout = int(config["request_timeout"])
        self.attempts = int(config["max_retries"]) + 1
        self.first_wait = int(config["backoff_ms"]) / 1000
        self.logger = logger
        self.clock = clock
        self.logins = self.refreshes = 0
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._token: str | None = config.get("token") or None
        self._refresh_token: str | None = None
        self._renew_at = self._renew_time(self._token, clock()) if self._token else 0.0
        self._rejections = 0  # 401s in a row
        self.testing_connection = False
        """In a connection test, an IAM host that cannot be reached or does not answer in time
        is said at once (see the kit's ``retried_in_connection_test``)."""

    @property
    def can_log_in(self) -> bool:
        return bool(self.email and self._password)

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        """A token that is not about to expire."""
        with self._lock:
            if self._token is None or (self.can_log_in and self.clock() >= self._renew_at):
                self._renew()
            if self._token is None:  # _renew either sets it or raises
                raise RuntimeError("no token after logging in")
            return self._token

    def rejected(self, request: requests.PreparedRequest | None) -> None:
        """The API answered 401: drop the token it was sent with, or give up if hopeless.

        A first 401 renews the token (refresh, else login); a second in a row logs in again;
        a third means twin24 refuses even new tokens.
        """
        sent = (request.headers.get("Authorization") or "") if request is not None else ""
        with self._lock:
            if self._token is None or sent != f"Bearer {self._token}":
                return  # renewed meanwhile
            if not self.can_log_in:
                msg = (
                    "twin24 rejected the token (HTTP 401): it has expired or is not valid. "
                    "Set email and password so that the tap can log in by itself"
                )
                raise LoginRefusedError(msg)
            self._rejections += 1
            if self._rejections > 2:
                msg = "twin24 keeps rejecting new tokens (HTTP 401) for " + str(self.email)
                raise LoginRefusedError(msg)
            if self._rejections > 1:
                self._refresh_token = None
            self._token = None

    def accepted(self) -> None:
        """The API took the current token: a later 401 is a new expiry, not a refusal."""
        self._rejections = 0

    def _renew(self) -> None:
        if self._refresh_token and self.can_log_in:
            try:
                self._take(self._post(REFRESH_PATH, {"refreshToken": self._refresh_token}))
                self.refreshes += 1
                self.logger.info("Renewed the twin24 token with the refresh token")
                return
            except (LoginRefusedError, LoginUnavailableError) as exc:
                self.logger.info("Could not refresh the twin24 token (%s); logging in again", exc)
                self._refresh_token = None
        if not self.can_log_in:
            msg = "no twin24 token: set email and password, or token"
            raise LoginRefusedError(msg)
        self._take(self._post(LOGIN_PATH, {"email": self.email, "password": self._password}))
        self.logins += 1
        self.logger.info("Logged in to twin24 as %s", self.email)

    def _take(self, answer: dict[str, t.Any]) -> None:
        token = answer.get("token") or answer.get("accessToken")
        if not isinstance(token, str) or not token:
            msg = "twin24's login answer has no token"
            raise LoginRefusedError(msg)
        mask_also(token)
        self._token = token
        refresh = answer.get("refreshToken")
        self._refresh_token = refresh if isinstance(refresh, str) and refresh else None
        if self._refresh_token:
            mask_also(self._refresh_token)
        self._renew_at = self._renew_time(token, self.clock())

    @staticmethod
    def _renew_time(token: str, now: float) -> float:
        expires = expiry(token)
        if expires is None:
            return now + TOKEN_TTL - RENEW_AHEAD
        # At least a second of use: with clocks apart, a 401 renews the token instead.
        return max(expires - min(RENEW_AHEAD, max(expires - now, 0.0) / 10), now + 1.0)

    def _post(self, path: str, payload: dict[str, t.Any]) -> dict[str, t.Any]:
        """POST to the IAM host, retrying what is temporary; raise on a refusal."""
        failure, tried = "no answer", 0
        timeout = connection_test_timeout(self.timeout) if self.testing_connection else self.timeout
        for attempt in range(1, self.attempts + 1):
            tried = attempt
            answered: requests.Response | None = None
            try:
                response = self._session.post(
                    self.auth_url + path, json={**payload, "ttl": TOKEN_TTL}, timeout=timeout
                )
            except requests.RequestException as exc:
                failure = describe_failure(exc)
                if self.testing_connection and not retried_in_connection_test(exc):
                    break
            else:
                if response.ok:
                    try:
                        answer = response.json()
                    except ValueError:
                        failure = "an answer that is not JSON"
                    else:
                        if isinstance(answer, dict):
                            return answer
                        failure = "an answer that is not a JSON object"
                elif (
                    response.status_code
                    in (
                        HTTPStatus.TOO_MANY_REQUESTS,
                        HTTPStatus.REQUEST_TIMEOUT,
                    )
                    or response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR
                ):
                    failure = f"HTTP {response.status_code}"
                    answered = response
                else:
                    raise LoginRefusedError(self._refusal(path, response))
            if attempt < self.attempts:
                # Retry-After, when the IAM host sent one, else the doubling wait
                wait = wait_before_retry(attempt, self.first_wait, _Answer(answered))
                self.logger.warning(
                    "twin24 %s: %s; retry %d of %d in %.1f s",
                    path.rsplit("/", 1)[-1],
                    failure,
                    attempt,
                    self.attempts - 1,
                    wait,
                )
                time.sleep(wait)
        where = host_of(self.auth_url)
        outcome = "kept failing" if tried > 1 else "failed"
        msg = f"twin24 {path.rsplit('/', 1)[-1]} at {where} {outcome}: {failure}"
        raise LoginUnavailableError(msg)

    def _refusal(self, path: str, response: requests.Response) -> str:
        text = error_text(response)  # NestJS lists validation messages: joined, not a list
        what = "the login of " + str(self.email) if path == LOGIN_PATH else "the token refresh"
        return (
            f"twin24 refused {what} (HTTP {response.status_code}{': ' + str(text) if text else ''})"
        )
