"""Decoding twin24's JSON answers once, and checking their shape before anything trusts them."""

from __future__ import annotations

import typing as t

import msgspec

if t.TYPE_CHECKING:
    import requests

_DECODED = "_twin24_payload"
_REPLACED = "_twin24_replaced_bytes"
_U_FFFD = "\ufffd".encode()


class UnexpectedBodyError(ValueError):
    """A complete JSON answer that is not the documented ``{"count", "items"}`` object."""


def page(response: requests.Response, *, counted: bool = True) -> dict[str, t.Any]:
    """The ``{"count": int, "items": [...]}`` answer, decoded once per response.

    Without ``counted``, a bare list of rows or a missing count is accepted (the task list is
    paged by its short page alone); the calls cannot be split safely without their count.
    Raises msgspec.DecodeError when the body is not JSON (cut off, or an HTML page). Bytes
    that are not UTF-8 (text kept in a legacy encoding) are replaced with U+FFFD, rather than
    losing the page: see ``replaced_in``.
    """
    cached = response.__dict__.get(_DECODED)
    if cached is not None:
        return t.cast("dict[str, t.Any]", cached)
    try:
        payload = msgspec.json.decode(response.content)
    except UnicodeDecodeError:
        payload = msgspec.json.decode(response.content.decode("utf-8", errors="replace"))
        response.__dict__[_REPLACED] = True
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


def replaced_in(response: requests.Response) -> list[str]:
    """Ids of the rows of a decoded page in which bytes that were not UTF-8 were replaced."""
    if not response.__dict__.get(_REPLACED):
        return []
    items = page(response, counted=False)["items"]
    return [
        str(item.get("id") if isinstance(item, dict) else "without an id")
        for item in items
        if _U_FFFD in msgspec.json.encode(item)
    ]


def describe(response: requests.Response, error: msgspec.DecodeError) -> str:
    """What an answer that is not JSON looks like; its bytes may hold anything, even a secret."""
    start = response.content[:64].lstrip()
    if not start:
        return "empty"
    if start.startswith(b"<"):
        return "an HTML page, not JSON"
    if start.startswith((b"{", b"[")):
        return f"JSON that breaks off ({error})"
    return "text, not JSON"


def error_text(response: requests.Response) -> str | None:
    """twin24's own error message (``message``/``error``) from an error answer, if any."""
    try:
        payload = msgspec.json.decode(response.content.decode("utf-8", errors="replace"))
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
