"""When tap-twin24 renews its token (tap_twin24/auth.py): before ``exp``, and after a 401 from
a token that expired while a page was on its way. A fake clock and a scripted IAM session: no
socket, no waiting."""

from __future__ import annotations

import base64
import json
import logging
import typing as t

import pytest
import requests

from tap_twin24.auth import (
    LOGIN_PATH,
    REFRESH_PATH,
    LoginRefusedError,
    Twin24Authenticator,
    expiry,
)

NOW = 1_750_000_000.0
AUTH_URL = "https://iam.twin24.test"
CONFIG = {
    "auth_url": AUTH_URL,
    "email": "tap-tests@twin24.example",
    "password": "canary-twin24-password-8f2c41d7e9",
    "request_timeout": 2,
    "max_retries": 0,
    "backoff_ms": 1,
}


def jwt(exp: float | None) -> str:
    claims = {"sub": "tap"} | ({} if exp is None else {"exp": exp})
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{payload}.sig"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class IAM:
    """A scripted session: each login or refresh answers the next token of ``lifetimes``."""

    def __init__(self, clock: Clock, *lifetimes: float | None) -> None:
        self.clock, self.lifetimes = clock, list(lifetimes)
        self.paths: list[str] = []

    def post(self, url: str, json: dict[str, t.Any], timeout: float) -> requests.Response:  # noqa: ARG002 (the signature the caller fixes)
        self.paths.append(url.removeprefix(AUTH_URL))
        lifetime = self.lifetimes.pop(0)
        token = jwt(None if lifetime is None else self.clock.now + lifetime)
        response = requests.Response()
        response.status_code = 200
        response._content = f'{{"token": "{token}", "refreshToken": "r{len(self.paths)}"}}'.encode()
        return response


def authenticator(clock: Clock, iam: IAM) -> Twin24Authenticator:
    session = t.cast("requests.Session", iam)
    return Twin24Authenticator(CONFIG, logging.getLogger("tap-twin24.test"), session, clock)


def sent_with(token: str) -> requests.PreparedRequest:
    request = requests.Request("GET", "https://api.twin24.test/calls").prepare()
    request.headers["Authorization"] = f"Bearer {token}"
    return request


def test_a_token_is_renewed_60_seconds_before_it_expires() -> None:
    clock = Clock()
    iam = IAM(clock, 3600, 3600)
    auth = authenticator(clock, iam)
    first = auth.token()
    clock.now = NOW + 3600 - 61
    assert auth.token() == first
    assert iam.paths == [LOGIN_PATH]
    clock.now = NOW + 3600 - 60
    assert auth.token() != first
    assert iam.paths == [LOGIN_PATH, REFRESH_PATH], "renewed with the refresh token"


def test_a_short_lived_token_is_renewed_at_a_tenth_of_its_lifetime_before_expiry() -> None:
    clock = Clock()
    iam = IAM(clock, 100, 100)
    auth = authenticator(clock, iam)
    first = auth.token()
    clock.now = NOW + 89
    assert auth.token() == first
    clock.now = NOW + 90
    assert auth.token() != first


def test_a_token_without_exp_is_renewed_before_the_lifetime_asked_for() -> None:
    clock = Clock()
    iam = IAM(clock, None, None)
    auth = authenticator(clock, iam)
    auth.token()
    clock.now = NOW + 3600 - 61
    auth.token()
    assert iam.paths == [LOGIN_PATH]
    clock.now = NOW + 3600 - 60
    auth.token()
    assert iam.paths == [LOGIN_PATH, REFRESH_PATH]


def test_a_token_already_expired_by_our_clock_is_used_for_a_second() -> None:
    """Clocks apart: the tap tries it, and a 401 renews it (rather than logging in in a loop)."""
    clock = Clock()
    iam = IAM(clock, -30, 3600)
    auth = authenticator(clock, iam)
    first = auth.token()
    clock.now = NOW + 0.5
    assert auth.token() == first
    clock.now = NOW + 1
    assert auth.token() != first


def test_a_token_that_expires_in_the_middle_of_a_page_is_renewed_after_its_401() -> None:
    clock = Clock()
    iam = IAM(clock, 100, 100)
    auth = authenticator(clock, iam)
    page = auth.authenticate_request(sent_with("unset"))
    clock.now = NOW + 100.5  # the page's answer came after exp: HTTP 401
    auth.rejected(page)
    clock.now = NOW + 80  # even by a clock behind twin24's
    renewed = auth.token()
    assert f"Bearer {renewed}" != page.headers["Authorization"]
    assert iam.paths == [LOGIN_PATH, REFRESH_PATH]
    auth.accepted()


def test_a_401_for_a_token_renewed_meanwhile_keeps_the_new_token() -> None:
    """Two pages in flight with the old token: the second 401 must not drop the new one."""
    clock = Clock()
    iam = IAM(clock, 100, 3600)
    auth = authenticator(clock, iam)
    old = auth.token()
    auth.rejected(sent_with(old))
    new = auth.token()
    auth.rejected(sent_with(old))
    assert auth.token() == new
    assert iam.paths == [LOGIN_PATH, REFRESH_PATH]


def test_new_tokens_refused_three_times_in_a_row_end_the_run() -> None:
    clock = Clock()
    iam = IAM(clock, 3600, 3600, 3600)
    auth = authenticator(clock, iam)
    auth.rejected(sent_with(auth.token()))
    auth.rejected(sent_with(auth.token()))
    third = auth.token()
    assert iam.paths == [LOGIN_PATH, REFRESH_PATH, LOGIN_PATH], "the second 401 logs in again"
    with pytest.raises(LoginRefusedError, match="keeps rejecting new tokens"):
        auth.rejected(sent_with(third))


def test_the_expiry_is_read_from_the_token_without_verifying_it() -> None:
    assert expiry(jwt(NOW)) == NOW
    assert expiry(jwt(None)) is None
    assert expiry("not-a-jwt") is None
