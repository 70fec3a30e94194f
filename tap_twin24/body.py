"""Decoding twin24's JSON answers once, and checking their shape before anything trusts them."""

from __future__ import annotations

import typing as t

import msgspec

if t.TYPE_CHECKING:
    import requests

_DECODED = "_twin24_payload"


class UnexpectedBodyError(ValueError):
    """A complete JSON answer that is not the documented ``{"count", "items"}`` object."""


def page(response: requests.Response, *, counted: bool = True) -> dict[str, t.Any]:
    """The ``{"count": int, "items": [...]}`` answer, decoded once per response.

    Without ``counted``, a bare list of rows or a missing count is accepted (the task list is
    paged by its short page alone); the calls cannot be split safely without their count.
    Raises msgspec.DecodeError when the body is not JSON (cut off, or an HTML page).
    """
    cached = response.__dict__.get(_DECODED)
    if cached is not None:
        return t.cast("dict[str, t.Any]", cached)
    payload = msgspec.json.decode(response.content)
    if isinstance(payload, list) and not counted:
        payload = {"items": payload}
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise UnexpectedBodyError(f"expected an object with 'items', got {_shape(payload)}")
    count = payload.get("count")
    if count is None and not counted:
        count = len(payload["items"])
    if not isinstance(count, int) or isinstance(count, bool):
        raise UnexpectedBodyError(f"'count' is not an integer: {count!r}")
    payload["count"] = count
    response.__dict__[_DECODED] = payload
    return payload


def error_text(response: requests.Response) -> str | None:
    """twin24's own error message (``message``/``error``) from an error answer, if any."""
    try:
        payload = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    message = payload.get("message") or payload.get("error")
    if isinstance(message, list):
        message = "; ".join(str(part) for part in message)
    return str(message) if message else None


def _shape(payload: object) -> str:
    if isinstance(payload, dict):
        return "an object with keys " + ", ".join(sorted(map(str, payload))[:8])
    return type(payload).__name__
