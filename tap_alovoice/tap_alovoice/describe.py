"""Requests and failures in words, never with a URL: every alovoice URL holds the token.

The texts of ``requests`` exceptions quote the URL, so they are never shown as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    import requests

RESULT = "callgetairesult"
SUBMIT = "callsendai"
CUT_JSON = "JSON that breaks off"


def step_and_call(request: requests.PreparedRequest | None) -> tuple[str, str]:
    """The step and call id of a request, read from the end of its path (never the token)."""
    if request is None or not request.path_url:
        return "", ""
    parts = urlsplit(request.path_url).path.rstrip("/").split("/")
    if len(parts) < 3:
        return "", ""
    return parts[-3], unquote(parts[-1])


def describe_request(request: requests.PreparedRequest | None) -> str:
    """``result query for call 123`` or ``submission of call 123``."""
    step, call_id = step_and_call(request)
    if step == SUBMIT:
        return f"submission of call {call_id}"
    if step == RESULT:
        return f"result query for call {call_id}"
    return "request"


def describe_body(response: requests.Response) -> str:
    """What a body that is not JSON looks like; its bytes may hold anything, even a secret."""
    start = response.content[:64].lstrip()
    if not start:
        return "empty"
    if start.startswith(b"<"):
        return "an HTML or XML page, not JSON"
    if start.startswith((b"{", b"[")):
        return CUT_JSON
    return "text, not JSON"
