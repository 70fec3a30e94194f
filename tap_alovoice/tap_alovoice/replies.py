"""What an alovoice answer says about one call: done, still being analysed, unknown, or failed.

The vendor documents only the happy path, so the rules are deliberately lenient:

- `{"answer": {...}}` with `stalk` or `tags` lists is a finished analysis;
- `{"answer": {...}}` without them is still being analysed (a `"status": "processing"` style
  field changes nothing), unless `answer` carries an `error` text or a failed status;
- `{"error": "..."}` is about the call: "not found" (or HTTP 404) means alovoice does not know
  the call, or it was never submitted; any other text is the analysis' failure.

Errors about the token are not about a call: they end the run (see the client).
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus

_NOT_FOUND_WORDS = ("not found", "не найден", "topilmadi")
# "Invalid token", "Токен не найден"; not "could not tokenize the audio".
_TOKEN_WORDS = re.compile(r"\btoken\b|\bтокен|\bunauthori[sz]ed\b", re.IGNORECASE)  # noqa: RUF001
_FAILED_STATUSES = frozenset({"error", "failed", "failure", "fail"})


class Kind(Enum):
    DONE = "done"
    PENDING = "pending"
    NOT_FOUND = "not found"
    FAILED = "failed"


@dataclass(frozen=True)
class Reply:
    """One call's status according to one answer."""

    kind: Kind
    answer: t.Mapping[str, t.Any] | None = None
    error: str | None = None


class UnexpectedAnswerError(ValueError):
    """JSON, but neither an answer nor an error object."""


def vendor_error(payload: object) -> str | None:
    """The text of an error body such as ``{"error": "Call not found"}``, else ``None``."""
    if not isinstance(payload, dict) or not payload.get("error"):
        return None
    detail = payload.get("message")
    error = payload["error"]
    text = error if isinstance(error, str) else str(error)
    return f"{text}: {detail}" if detail else text


def names_the_token(text: str) -> bool:
    """Whether an error text is about the token rather than about a call."""
    return _TOKEN_WORDS.search(text) is not None


def read_reply(status: int, payload: object) -> Reply:
    """Classify a JSON body (the client has ruled out token errors and unreadable bodies)."""
    answer = payload.get("answer") if isinstance(payload, dict) else None
    if isinstance(answer, dict):
        return _read_answer(answer)
    error = vendor_error(payload)
    if error is None:
        msg = "the body has neither an answer nor an error"
        raise UnexpectedAnswerError(msg)
    if status == HTTPStatus.NOT_FOUND or any(word in error.lower() for word in _NOT_FOUND_WORDS):
        return Reply(Kind.NOT_FOUND, error=error)
    return Reply(Kind.FAILED, error=error)


def _read_answer(answer: t.Mapping[str, t.Any]) -> Reply:
    error = answer.get("error")
    if error:
        return Reply(Kind.FAILED, answer, str(error))
    status = str(answer.get("status") or "").lower()
    if status in _FAILED_STATUSES:
        return Reply(Kind.FAILED, answer, f"analysis status is {status!r}")
    if isinstance(answer.get("stalk"), list) or isinstance(answer.get("tags"), list):
        return Reply(Kind.DONE, answer)
    return Reply(Kind.PENDING, answer)
