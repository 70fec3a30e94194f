"""The aiokk export API as a test vendor: six filter endpoints over one account's dialogs.

aiokk has no pagination and no date filter, so one request can return an account's whole
history; the tap must stream it, de-duplicate dialogs seen through several filters and notice
analyses that finish later. The account serves synthetic or given dialogs with the vendor's
framing and error bodies, and exposes the exact ground truth and mutations tests need.
Answers of fewer than `chunk_size` dialogs go out with Content-Length, longer ones are
streamed chunk by chunk with chunked transfer encoding (the tap must handle both).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..messages import HTML_TYPE, JSON_TYPE, TEXT_TYPE, Request, Response
from .filters import PARAMS, DialogKeys, ParamError, validate
from .gen import Override
from .given import GivenDialogs
from .synth import SyntheticDialogs

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

EXPORT_PREFIX = "/api/v1/export/dialogs/"
FILTER_KINDS = tuple(PARAMS)
"""department, operator, call_type, question_pack, client_loyalty, signals."""

API_NOT_PAID = {
    "error": "API not paid",
    "code": "Your API subscription has expired or not been paid.",
}
API_PAYMENT_REQUIRED = {
    "error": "API not paid",
    "code": "Payment for API access is required. Please complete the payment to continue.",
}
API_DISABLED = {
    "error": "API functionality is disabled",
    "message": "The requested API functionality has been disabled. "
    "Please contact support for more details.",
}
TOKEN_NOT_FOUND = {
    "error": "Token not found",
    "message": "The access token is missing or invalid. "
    "Please provide a valid token to authenticate the request.",
}
VENDOR_ERROR_BODIES = (API_NOT_PAID, API_PAYMENT_REQUIRED, API_DISABLED, TOKEN_NOT_FOUND)
"""The four error bodies of the vendor's page, in its order."""
SERVICE_UNAVAILABLE_HTML = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="utf-8">'
    "<title>Сервис не доступен</title></head>\n"
    "<body><h1>Сервис не доступен</h1><p>Попробуйте повторить запрос позже.</p></body>\n</html>\n"
)


@dataclass(frozen=True)
class ErrorMode:
    """Answer every export request with this body (JSON object, or an HTML/text page)."""

    body: dict[str, Any] | str
    status: int = 200

    def response(self) -> Response:
        if isinstance(self.body, str):
            html = self.body.lstrip().startswith("<")
            return Response.text(self.body, self.status, HTML_TYPE if html else TEXT_TYPE)
        return Response.json(self.body, self.status)


SERVICE_UNAVAILABLE = ErrorMode(SERVICE_UNAVAILABLE_HTML, 503)


class _Source(Protocol):
    def ids(self) -> Sequence[int]: ...
    def has(self, dialog_id: int) -> bool: ...
    def horizon(self) -> datetime: ...
    def values(self, kind: str) -> list[Any]: ...
    def keys(self, dialog_id: int, override: Override | None) -> DialogKeys: ...
    def select(
        self, kind: str, value: int | str, overrides: Mapping[int, Override]
    ) -> Iterator[int]: ...
    def build(self, dialog_id: int, override: Override | None) -> dict[str, Any]: ...


def _invalid(message: str) -> Response:
    return Response.json({"error": "Validation error", "message": message}, 422)


class AiokkAccount:
    """One aiokk account: its dialogs, token and error state; mount it on an Emulator."""

    def __init__(
        self,
        dialogs: int = 100,
        seed: int = 1,
        token: str = "test-token",
        unfinished_share: float = 0.1,
    ) -> None:
        self._source: _Source = SyntheticDialogs(dialogs, seed, unfinished_share)
        self.token = token
        self.token_error_status = 200
        """HTTP status of the "Token not found" answer (the vendor's page does not say)."""
        self.error: ErrorMode | None = None
        self.chunk_size = 100
        # PHP's json_encode default: Cyrillic as \uXXXX and "/" as "\/". Off by default,
        # like the vendor's page shows it; tests switch it on to cover both spellings.
        self.escape_unicode = False
        """Dialogs per streamed chunk; an answer of fewer than this has a Content-Length."""
        self.now: datetime = self._source.horizon()
        """Naive local clock for mutations: later than every finishDate, advances 1 s per use."""
        self._overrides: dict[int, Override] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_dialogs(
        cls, dialogs: Iterable[Mapping[str, Any]], token: str = "test-token"
    ) -> AiokkAccount:
        """An account serving exactly these raw dialogs (e.g. the vendor's example record)."""
        account = cls(dialogs=0, token=token)
        account._source = GivenDialogs(dialogs)
        account.now = account._source.horizon()
        return account

    # --- ground truth ----------------------------------------------------------------------

    def dialog_ids(self) -> list[int]:
        return list(self._source.ids())

    def truth(self) -> Iterator[dict[str, Any]]:
        """Every dialog exactly as served now, in dialogId order."""
        for dialog_id in self._source.ids():
            yield self._source.build(dialog_id, self._overrides.get(dialog_id))

    def dialog(self, dialog_id: int) -> dict[str, Any]:
        if not self._source.has(dialog_id):
            raise KeyError(dialog_id)
        return self._source.build(dialog_id, self._overrides.get(dialog_id))

    def matching(self, kind: str, value: int | str) -> Iterator[dict[str, Any]]:
        """The dialogs that the export `kind` with this value answers, in the served order."""
        if kind not in PARAMS:
            raise KeyError(kind)
        source, overrides = self._source, self._overrides
        for dialog_id in source.select(kind, value, overrides):
            yield source.build(dialog_id, overrides.get(dialog_id))

    def finished_ids(self) -> list[int]:
        return [i for i in self._source.ids() if self._keys(i).finished]

    def unfinished_ids(self) -> list[int]:
        return [i for i in self._source.ids() if not self._keys(i).finished]

    def department_ids(self) -> list[int]:
        return self._source.values("department")

    def operator_names(self) -> list[str]:
        return self._source.values("operator")

    def question_pack_ids(self) -> list[int]:
        return self._source.values("question_pack")

    def signal_words(self) -> list[str]:
        return self._source.values("signals")

    def filter_values(self, kind: str) -> list[Any]:
        """Values to send to the export `kind` so that every dialog it can return is covered."""
        if kind == "call_type":
            return [1, 2, 3, 4]
        if kind == "client_loyalty":
            return list(range(1, 11))
        return self._source.values(kind)

    def _keys(self, dialog_id: int) -> DialogKeys:
        return self._source.keys(dialog_id, self._overrides.get(dialog_id))

    # --- mutations -------------------------------------------------------------------------

    def finish_pending(self, n: int | None = None) -> list[int]:
        """Finish the first `n` (all when None) unfinished analyses at a new, later finishDate."""
        with self._lock:
            chosen = self.unfinished_ids()[:n]
            for dialog_id in chosen:
                self._overrides[dialog_id] = Override(self._tick())
        return chosen

    def reanalyse(self, ids: Iterable[int]) -> None:
        """Analyse these dialogs again: a later finishDate, a new summary and new marks."""
        with self._lock:
            for dialog_id in ids:
                if not self._source.has(dialog_id):
                    raise KeyError(dialog_id)
                previous = self._overrides.get(dialog_id)
                revision = (previous.revision if previous else 0) + 1
                self._overrides[dialog_id] = Override(self._tick(), revision)

    def _tick(self) -> datetime:
        moment, self.now = self.now, self.now + timedelta(seconds=1)
        return moment

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        kind = path[len(EXPORT_PREFIX) :] if path.startswith(EXPORT_PREFIX) else ""
        if kind not in PARAMS:
            return Response.json(
                {"error": "Not Found", "message": f"The route {path} could not be found."}, 404
            )
        if request.method != "POST":
            message = f"The {request.method} method is not supported for this route."
            response = Response.json({"error": "Method Not Allowed", "message": message}, 405)
            response.headers["Allow"] = "POST"
            return response
        if self.error is not None:
            return self.error.response()
        return self._export(kind, request)

    def _export(self, kind: str, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/json"):
            # Like a PHP framework: a body not declared as JSON is not read at all.
            return Response.json(TOKEN_NOT_FOUND, self.token_error_status)
        try:
            payload = request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _invalid("The request body must be a JSON object.")
        if payload.get("token") != self.token:
            return Response.json(TOKEN_NOT_FOUND, self.token_error_status)
        try:
            value = validate(kind, payload)
        except ParamError as exc:
            return _invalid(str(exc))
        chunks = self._chunks(kind, value)
        first = next(chunks)
        second = next(chunks, None)
        if second is None:
            return Response(200, first, {"Content-Type": JSON_TYPE})
        return Response.stream(itertools.chain((first, second), chunks))

    def _encode(self, dialog: dict[str, Any]) -> str:
        if self.escape_unicode:
            return json.dumps(dialog).replace("/", "\\/")
        return json.dumps(dialog, ensure_ascii=False)

    def _chunks(self, kind: str, value: int | str) -> Iterator[bytes]:
        """The JSON array, chunk_size dialogs per chunk, built while it is sent."""
        opened = False
        batch: list[str] = []
        for dialog in self.matching(kind, value):
            batch.append(self._encode(dialog))
            if len(batch) >= self.chunk_size:
                yield (("," if opened else "[") + ",".join(batch)).encode("utf-8")
                opened, batch = True, []
        tail = ",".join(batch)
        if not opened:
            yield f"[{tail}]".encode()
        else:
            yield ((f",{tail}" if batch else "") + "]").encode("utf-8")
