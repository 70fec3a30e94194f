"""twin24's iam host: login and refresh issue real HS256 JWTs that the other hosts verify.

A tap must read `exp` from the token and log in again before (or after a 401 at) expiry, so the
tokens are genuine JWTs signed with a per-account secret, and tests can force short lifetimes
with `max_token_ttl`. The password is only compared, never echoed or put in a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
import uuid
from typing import Any

from ..messages import JSON_TYPE, Request, Response

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
DEFAULT_TTL = 3600


def compact_json(payload: Any, status: int = 200) -> Response:
    """JSON as a Node server sends it: no spaces, raw UTF-8."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(status, text.encode("utf-8"), {"Content-Type": JSON_TYPE})


def nest_error(status: int, message: str | list[str], error: str | None = None) -> Response:
    """A NestJS HttpException body: {"statusCode", "message"[, "error"]}."""
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if error is not None:
        body["error"] = error
    return compact_json(body, status)


class BadRequestError(Exception):
    """A 400: `messages` are what a NestJS ValidationPipe body lists."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def not_found(request: Request) -> Response:
    return nest_error(404, f"Cannot {request.method} {request.path}", "Not Found")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FromAuth:
    """An account attribute kept on its AuthDesk (e.g. account.logins is account.auth.logins)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, account: Any, owner: type | None = None) -> Any:
        return getattr(account.auth, self.name)

    def __set__(self, account: Any, value: Any) -> None:
        setattr(account.auth, self.name, value)


class AuthDesk:
    """Users, issued tokens and refresh tokens of one account, shared by its three hosts."""

    def __init__(self, email: str, password: str) -> None:
        self.users = {email: password}
        self.max_token_ttl: float | None = None
        """Cap on a token's lifetime in seconds (may be fractional); None: the asked ttl."""
        self.login_status = 201
        """NestJS answers a POST with 201; set 200 to test a tap that accepts either."""
        self.logins = self.refreshes = self.failed_logins = self.unauthorized = 0
        self._secret = secrets.token_bytes(32)
        self._expiry: dict[str, float] = {}  # jti -> exact expiry (time.time())
        self._refresh: dict[str, str] = {}  # refresh token -> email
        self._lock = threading.Lock()

    # --- tokens ------------------------------------------------------------------------------

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest())

    def issue(self, email: str, ttl: float) -> dict[str, str]:
        """A token and a refresh token. `exp` is the exact expiry rounded down, so a client that
        trusts `exp` never meets a 401 early; the server rejects from the exact expiry on."""
        now = time.time()
        if self.max_token_ttl is not None:
            ttl = min(ttl, self.max_token_ttl)
        jti = uuid.uuid4().hex
        user = str(uuid.uuid5(uuid.NAMESPACE_URL, f"twin24:{email}"))
        claims = {"sub": user, "iat": int(now), "exp": math.floor(now + ttl), "jti": jti}
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[jti] = now + ttl
            self._refresh[refresh] = email
        token = f"{header}.{payload}.{self._sign(f'{header}.{payload}')}"
        return {"token": token, "refreshToken": refresh}

    def valid(self, token: str) -> bool:
        parts = token.split(".")
        if len(parts) != 3:
            return False
        if not hmac.compare_digest(self._sign(f"{parts[0]}.{parts[1]}"), parts[2]):
            return False
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return False
        with self._lock:
            expiry = self._expiry.get(str(claims.get("jti")))
        return expiry is not None and time.time() < expiry

    def authorized(self, request: Request) -> bool:
        """Whether the Bearer token is genuine and unexpired; counts the refusals."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.valid(token.strip()):
            return True
        with self._lock:
            self.unauthorized += 1
        return False

    def revoke_all(self) -> None:
        """Expire every issued token now (refresh tokens stay usable)."""
        with self._lock:
            self._expiry.clear()

    # --- the iam host ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path == LOGIN_PATH:
            return self._login(request)
        if request.method == "POST" and request.path == REFRESH_PATH:
            return self._renew(request)
        return not_found(request)

    def _payload(self, request: Request) -> dict[str, Any]:
        if not request.headers.get("content-type", "").startswith("application/json"):
            return {}  # like express.json(): a body not declared as JSON is not read
        try:
            payload = request.json()
        except ValueError:
            raise BadRequestError("Unexpected token in JSON body") from None
        return payload if isinstance(payload, dict) else {}

    def _ttl(self, payload: dict[str, Any]) -> float:
        ttl = payload.get("ttl", DEFAULT_TTL)
        if ttl is None:
            return DEFAULT_TTL
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            raise BadRequestError("ttl must be a positive number")
        return float(ttl)

    def _login(self, request: Request) -> Response:
        try:
            payload = self._payload(request)
            email, password = payload.get("email"), payload.get("password")
            problems = []
            if not isinstance(email, str) or "@" not in email:
                problems.append("email must be an email")
            if not isinstance(password, str) or not password:
                problems.append("password should not be empty")
            if problems or not isinstance(email, str) or not isinstance(password, str):
                raise BadRequestError(*problems)
            ttl = self._ttl(payload)
        except BadRequestError as exc:
            return nest_error(400, exc.messages, "Bad Request")
        if not hmac.compare_digest(self.users.get(email, "").encode(), password.encode()):
            with self._lock:
                self.failed_logins += 1
            return nest_error(401, "Invalid credentials", "Unauthorized")
        with self._lock:
            self.logins += 1
        return compact_json(self.issue(email, ttl), self.login_status)

    def _renew(self, request: Request) -> Response:
        try:
            payload = self._payload(request)
            refresh = payload.get("refreshToken")
            if not isinstance(refresh, str) or not refresh:
                raise BadRequestError("refreshToken should not be empty")
            ttl = self._ttl(payload)
        except BadRequestError as exc:
            return nest_error(400, exc.messages, "Bad Request")
        with self._lock:
            email = self._refresh.pop(refresh, None)
            if email is not None:
                self.refreshes += 1
        if email is None or email not in self.users:
            return nest_error(401, "Invalid refresh token", "Unauthorized")
        return compact_json(self.issue(email, ttl), self.login_status)
