"""Reading an export body: it can be hundreds of megabytes, and it can break off.

The body is first copied to a spooled temporary file and checked to be complete JSON while
the SDK's retry loop still covers the request; only then is it parsed, one dialog at a time.
This keeps memory flat, keeps the connection from idling while a slow target loads rows,
and means a truncated body is retried instead of silently ending the sync early.
ijson reads it in 1 MB buffers: a text field spanning many buffers is lexed again on each one,
so with small buffers an 8 MB summary took seconds.
"""

from __future__ import annotations

import codecs
import json
import tempfile
import typing as t

import ijson

if t.TYPE_CHECKING:
    import requests

_CHUNK = 1 << 20
_IN_MEMORY_UP_TO = 8 << 20
_VENDOR_ERROR_LIMIT = 1 << 20

# aiokk's own words for an outage; any other error body is permanent (token, billing, access).
_TRANSIENT_ERROR_WORDS = ("не доступен", "недоступен", "unavailable")


class IncompleteBodyError(Exception):
    """The body is not complete JSON: cut off, or not JSON at all. Worth another try."""


class UnexpectedBodyError(Exception):
    """Complete JSON, but not the array of dialogs the export promises. Not worth a retry."""


class VendorError(Exception):
    """An aiokk error body, such as ``{"error": "API not paid", "code": "..."}``."""

    def __init__(self, text: str, *, transient: bool) -> None:
        super().__init__(text)
        self.transient = transient


def spool(response: requests.Response) -> t.IO[bytes]:
    """Copy the whole body into a temporary file and rewind it.

    A dropped connection or a read timeout raises the ``requests`` exception the SDK retries.
    """
    body = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_UP_TO)  # noqa: SIM115
    try:
        for chunk in response.iter_content(chunk_size=_CHUNK):
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def size_mb(body: t.IO[bytes]) -> float:
    """Size of a spooled body, leaving its position at the start."""
    size = body.seek(0, 2)
    body.seek(0)
    return size / 1e6


def vendor_error_text(payload: object) -> str | None:
    """The vendor's text in an error body, or ``None`` when ``payload`` is no error body."""
    if not isinstance(payload, dict) or "error" not in payload:
        return None
    detail = payload.get("message") or payload.get("code")
    return f"{payload['error']}: {detail}" if detail else str(payload["error"])


def vendor_error(payload: object) -> VendorError | None:
    """Classify an error body: an outage is transient, anything else is not."""
    text = vendor_error_text(payload)
    if text is None:
        return None
    transient = any(word in text.lower() for word in _TRANSIENT_ERROR_WORDS)
    return VendorError(text, transient=transient)


def check_dialog_array(body: t.IO[bytes]) -> int:
    """Count the dialogs of a complete JSON array body, and rewind it.

    Raises ``VendorError`` for an error object and ``IncompleteBodyError`` for anything that is
    not a complete JSON array. One pass of the C parser costs about a second for 200 MB.
    """
    start = body.read(64).lstrip()
    body.seek(0)
    if start.startswith(b"{"):
        raw = body.read(_VENDOR_ERROR_LIMIT)
        body.seek(0)
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            msg = "error object cut off"
            raise IncompleteBodyError(msg) from exc
        error = vendor_error(payload)
        if error is None:
            msg = "expected a JSON array of dialogs, got an object without an error"
            raise UnexpectedBodyError(msg)
        raise error
    if not start.startswith(b"["):
        raise IncompleteBodyError(f"body is {_kind_of(start)}, not a JSON array of dialogs")
    count = 0
    try:
        for _ in ijson.items(body, "item", buf_size=_CHUNK):
            count += 1
    except ijson.JSONError as exc:
        msg = f"body is not complete JSON after {count} dialogs"
        raise IncompleteBodyError(msg) from exc
    body.seek(0)
    return count


def _kind_of(start: bytes) -> str:
    """What a non-JSON body looks like, in words; its bytes may hold anything, even a secret."""
    if not start:
        return "empty"
    if start.startswith(b"<"):
        return "an HTML or XML page"
    return "text"


def check_repairing_utf8(body: t.IO[bytes]) -> tuple[t.IO[bytes], int, list[str]]:
    """``check_dialog_array``, but bytes that are not UTF-8 cost no dialog: they are replaced
    with U+FFFD in a copy of the body (text kept in a legacy encoding, say).

    Returns the body to parse, its dialog count, and the dialogs with a replacement.
    """
    try:
        return body, check_dialog_array(body), []
    except IncompleteBodyError:
        repaired = _replace_invalid_utf8(body)
        if repaired is None:
            raise
    body.close()
    try:
        count = check_dialog_array(repaired)
    except BaseException:
        repaired.close()
        raise
    return repaired, count, _dialogs_with_replacements(repaired)


def _replace_invalid_utf8(body: t.IO[bytes]) -> t.IO[bytes] | None:
    """A copy of ``body`` with U+FFFD for bytes that are not UTF-8; None when all are."""
    body.seek(0)
    strict = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := body.read(_CHUNK):
            strict.decode(chunk)
        strict.decode(b"", final=True)
    except UnicodeDecodeError:
        pass
    else:
        body.seek(0)
        return None
    body.seek(0)
    lenient = codecs.getincrementaldecoder("utf-8")(errors="replace")
    repaired = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_UP_TO)  # noqa: SIM115
    while chunk := body.read(_CHUNK):
        repaired.write(lenient.decode(chunk).encode("utf-8"))
    repaired.write(lenient.decode(b"", final=True).encode("utf-8"))
    repaired.seek(0)
    return repaired


def _dialogs_with_replacements(body: t.IO[bytes]) -> list[str]:
    """Ids of the dialogs holding U+FFFD, read from a checked body that is then rewound."""
    found = []
    for item in ijson.items(body, "item", buf_size=_CHUNK):
        if "\ufffd" in json.dumps(item, ensure_ascii=False, default=str):
            call = item.get("call") if isinstance(item, dict) else None
            dialog_id = call.get("dialogId") if isinstance(call, dict) else None
            found.append("without an id" if dialog_id is None else str(dialog_id))
    body.seek(0)
    return found


def dialogs(body: t.IO[bytes]) -> t.Iterator[dict[str, t.Any]]:
    """Stream the dialogs of a checked body, one at a time."""
    yield from ijson.items(body, "item", use_float=True, buf_size=_CHUNK)
