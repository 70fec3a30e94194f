"""The alovoice AI-analysis API as a test vendor: submit a call, then fetch its result.

Analysis is asynchronous and billed per submission, so the account counts every submission
per call (`submissions`) and tests prove each call was billed once. A call's analysis is
ready `delay_seconds` after its first submission; until then a result query answers the
acknowledgement only (no `stalk`, no `tags`). The token is part of every URL path, as on the
vendor's page: `GET /callsendai/{TOKEN}/{CALL_ID}` and `GET /callgetairesult/{TOKEN}/{CALL_ID}`.

A call whose analysis fails (`failing`) answers, once ready, with the acknowledgement plus an
`error` text inside `answer` (`failure_style = "answer"`, the default) or with a bare
`{"error": text}` body (`failure_style = "body"`); the vendor's page shows neither, so a tap
must handle both.

A call listed in `gateway_timeouts` has its first submission answered by a proxy's 504 page,
while alovoice registers (and bills) it some seconds later, or never: a 5xx on a submission
does not say whether it went through.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any, Literal

from ..messages import HTML_TYPE, Request, Response
from ..tally import Tally
from .gen import acknowledgement, analysis_result, call_ids

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SUBMIT = "callsendai"
RESULT = "callgetairesult"
JSON_UTF8 = "application/json; charset=utf-8"  # the vendor's header, charset included
CALL_NOT_FOUND = "Call not found"
INVALID_TOKEN = "Invalid token"
NOT_SUBMITTED = "AI analysis not found: the call was not sent for analysis"

GATEWAY_TIMEOUT_PAGE = "<html><head><title>504 Gateway Time-out</title></head></html>"

UnknownMode = Literal["404", "200"]
TokenErrorMode = Literal["401", "403", "200"]


def _json(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": JSON_UTF8})


class AlovoiceAccount:
    """One alovoice account: its calls, token, analysis clock and error behaviour."""

    def __init__(
        self,
        calls: int | Iterable[str] = 100,
        token: str = "test-token",
        *,
        delay_seconds: float = 1.0,
        latency_seconds: float = 0.0,
        seed: int = 1,
    ) -> None:
        ids = call_ids(calls, seed) if isinstance(calls, int) else list(calls)
        self._calls: dict[str, None] = dict.fromkeys(ids)
        self.token = token
        self.delay_seconds = delay_seconds
        """Seconds from a call's first submission until its result is ready."""
        self.latency_seconds = latency_seconds
        """Seconds every request waits before it is answered."""
        self.seed = seed
        self.unknown_mode: UnknownMode = "404"
        """How a call id the account does not have is answered: HTTP 404, or 200, with an error."""
        self.token_error_mode: TokenErrorMode = "401"
        """How a wrong token is answered: HTTP 401, 403, or 200 with an error body."""
        self.pending_style: Literal["plain", "processing"] = "plain"
        """"processing" adds `"status": "processing"` to the answer of an analysis not done."""
        self.failing: dict[str, str] = {}
        """Call id -> error text: the analysis of that call fails."""
        self.failure_style: Literal["answer", "body"] = "answer"
        self.gateway_timeouts: dict[str, float | None] = {}
        """Call id -> seconds: its first submission is answered 504 by a proxy, and alovoice
        registers (and bills) it that many seconds later; None: alovoice never gets it."""
        self.submissions: Tally[str] = Tally()
        """Submissions per call id, repeated ones included: what the account is billed."""
        self.requests: Tally[str] = Tally()
        """Requests per endpoint name (callsendai, callgetairesult, other)."""
        self._given: dict[str, dict[str, Any]] = {}
        self._submitted_at: dict[str, float] = {}
        self._lock = threading.Lock()

    # --- set-up and ground truth -----------------------------------------------------------

    def given(self, call_id: str, answer: Mapping[str, Any]) -> None:
        """Serve this fixed answer for `call_id` once it is submitted and ready."""
        with self._lock:
            self._calls.setdefault(call_id, None)
            self._given[call_id] = json.loads(json.dumps(answer))

    def presubmit(self, ids: Iterable[str], seconds_ago: float = 0.0) -> None:
        """Mark calls as submitted earlier, by someone else: one billed submission each."""
        started = time.monotonic() - seconds_ago
        with self._lock:
            for call_id in ids:
                if call_id not in self._calls:
                    raise KeyError(call_id)
                self._submitted_at.setdefault(call_id, started)
                self.submissions.add(call_id)

    def call_ids(self) -> list[str]:
        with self._lock:
            return list(self._calls)

    def add_calls(self, count: int) -> list[str]:
        """Record `count` new calls at the PBX (ids after the existing ones); returns their ids."""
        with self._lock:
            known = len(self._calls)
            fresh = [i for i in call_ids(known + count, self.seed) if i not in self._calls]
            self._calls.update(dict.fromkeys(fresh[:count]))
            return fresh[:count]

    def truth(self, call_id: str) -> dict[str, Any]:
        """The complete answer of the call's finished analysis."""
        with self._lock:
            if call_id not in self._calls:
                raise KeyError(call_id)
            given = self._given.get(call_id)
        return json.loads(json.dumps(given)) if given else analysis_result(self.seed, call_id)

    def submitted(self) -> list[str]:
        with self._lock:
            return list(self._submitted_at)

    def registered(self, call_id: str) -> bool:
        """Whether alovoice has registered a submission of the call by now."""
        with self._lock:
            started = self._submitted_at.get(call_id)
        return started is not None and started <= time.monotonic()

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if self.latency_seconds > 0:
            time.sleep(self.latency_seconds)
        parts = request.path.strip("/").split("/")
        if request.method != "GET" or len(parts) != 3 or parts[0] not in (SUBMIT, RESULT):
            self.requests.add("other")
            return _json({"error": "Not Found"}, 404)
        endpoint, token, call_id = parts
        self.requests.add(endpoint)
        if token != self.token:
            return self._token_error()
        if call_id not in self._calls:
            return _json({"error": CALL_NOT_FOUND}, 404 if self.unknown_mode == "404" else 200)
        if endpoint == SUBMIT:
            return self._submit(call_id)
        return self._result(call_id)

    def _token_error(self) -> Response:
        status = {"401": 401, "403": 403}.get(self.token_error_mode, 200)
        return _json({"error": INVALID_TOKEN}, status)

    def _submit(self, call_id: str) -> Response:
        with self._lock:
            proxied = call_id in self.gateway_timeouts
            late = self.gateway_timeouts.pop(call_id, None) if proxied else 0.0
            if late is not None:
                self._submitted_at.setdefault(call_id, time.monotonic() + late)
        if late is not None:
            self.submissions.add(call_id)
        if proxied:
            return Response.text(GATEWAY_TIMEOUT_PAGE, 504, HTML_TYPE)
        return _json({"answer": acknowledgement(self.truth(call_id))})

    def _result(self, call_id: str) -> Response:
        with self._lock:
            started = self._submitted_at.get(call_id)
        if started is None or started > time.monotonic():
            return _json({"error": NOT_SUBMITTED}, 404)
        result = self.truth(call_id)
        if time.monotonic() - started < self.delay_seconds:
            answer = acknowledgement(result)
            if self.pending_style == "processing":
                answer["status"] = "processing"
            return _json({"answer": answer})
        error = self.failing.get(call_id)
        if error is None:
            return _json({"answer": result})
        if self.failure_style == "body":
            return _json({"error": error})
        return _json({"answer": {**acknowledgement(result), "error": error}})
