"""Stand-ins mounted in front of an emulated vendor, for answers its account does not give.

A proxy or a web server in front of the API answers with its own page; a server that keeps some
text in a legacy encoding sends bytes that are not UTF-8 inside otherwise valid JSON. The texts
the scenarios put in a record are here too.
"""

from __future__ import annotations

import typing as t

from call_emulator import Request, Response, Tally

if t.TYPE_CHECKING:
    from call_emulator import Vendor

LEGACY_TEXT = "Клиент недоволен обслуживанием"
"""Sent in cp1251 by Recoded: Cyrillic, so its bytes are not UTF-8."""
HUGE_CHARS = 4_000_000
"""Characters of a huge text: Cyrillic, so about 8 MB as UTF-8."""


def huge_text() -> str:
    """About 8 MB of Cyrillic text as UTF-8: the summary of a very long call."""
    line = "Оператор уточнил детали заказа и предложил доставку на завтра. "
    return (line * (HUGE_CHARS // len(line) + 1))[:HUGE_CHARS]


class Fixed:
    """Answers every request the same way, whatever the path: a proxy page, an error body."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.requests = 0

    def handle(self, request: Request) -> Response:  # noqa: ARG002 (the signature the caller fixes)
        self.requests += 1
        return Response(self.response.status, self.response.body, dict(self.response.headers))


class Detour:
    """Answers requests whose path ends with ``suffix`` with ``response``; the rest as before."""

    def __init__(self, vendor: Vendor, suffix: str, response: Response) -> None:
        self.vendor, self.suffix = vendor, suffix
        self.detour = Fixed(response)

    def handle(self, request: Request) -> Response:
        if request.path.endswith(self.suffix):
            return self.detour.handle(request)
        return self.vendor.handle(request)


class Recoded:
    """Sends ``text`` in ``encoding`` (cp1251, as a legacy Windows database keeps Cyrillic)
    wherever the vendor's answers hold it in UTF-8; counts how often it did."""

    def __init__(self, vendor: Vendor, text: str, encoding: str = "cp1251") -> None:
        self.vendor = vendor
        self.utf8, self.legacy = text.encode("utf-8"), text.encode(encoding)
        assert self.utf8 != self.legacy, "the text must differ in the two encodings"
        self.sent: Tally[str] = Tally()

    def handle(self, request: Request) -> Response:
        response = self.vendor.handle(request)
        body = response.body
        if isinstance(body, bytes):
            response.body = self._recode(body)
        else:
            response.body = (self._recode(chunk) for chunk in body)
        return response

    def _recode(self, chunk: bytes) -> bytes:
        found = chunk.count(self.utf8)
        if found:
            self.sent.add("recoded", found)
        return chunk.replace(self.utf8, self.legacy)
