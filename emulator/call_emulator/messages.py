"""The tiny request/response pair between the generic server and the vendor modules.

Vendors only see a parsed Request and return a Response, so each vendor stays a small pure
function of its own state and the wire details (framing, faults, disconnects) live in one place.
A Response body is either bytes (sent with Content-Length) or an iterable of byte chunks (sent
with chunked transfer encoding), which lets a vendor stream a huge answer generated on the fly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One HTTP request as a vendor sees it."""

    method: str
    path: str
    """Percent-decoded path below the vendor's mount prefix, always starting with "/"."""
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""
    full_path: str = ""
    """The path as received, prefix included, without the query string."""

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """What a vendor answers; the server frames it (and may spoil it when a fault is drawn)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Response:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, data, {"Content-Type": JSON_TYPE})

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = TEXT_TYPE) -> Response:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})

    @classmethod
    def stream(
        cls, chunks: Iterable[bytes], status: int = 200, content_type: str = JSON_TYPE
    ) -> Response:
        return cls(status, chunks, {"Content-Type": content_type})


class Vendor(Protocol):
    """Anything that can be mounted on the Emulator under a path prefix."""

    def handle(self, request: Request) -> Response: ...
