"""The HTTP/1.1 wire side: parse requests, frame responses, and spoil them on purpose.

Kept apart from routing so that truncation and disconnects, which only make sense at the byte
level, are written once for every vendor. A client that goes away mid-stream is normal here (taps
time out, tests kill them): socket errors close the connection quietly instead of printing a
traceback per request.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlsplit

from .messages import Request, Response

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

LOOKAHEAD_LIMIT = 16 * 1024 * 1024
"""A truncated stream is cut at half of at most this many bytes, to keep memory bounded."""


class Dispatcher(Protocol):
    """What the server asks for each request: the fault drawn (if any) and the answer."""

    verbose: bool

    def answer(self, request: Request) -> tuple[str | None, Response | None]: ...

    def stall_seconds(self) -> float: ...


def first_half(chunks: Iterable[bytes], limit: int = LOOKAHEAD_LIMIT) -> list[bytes]:
    """The first half of a stream's bytes, looking ahead at most `limit` bytes."""
    seen: list[bytes] = []
    total = 0
    for chunk in chunks:
        seen.append(chunk)
        total += len(chunk)
        if total >= limit:
            break
    left = total // 2
    pieces: list[bytes] = []
    for chunk in seen:
        if left <= 0:
            break
        pieces.append(chunk[:left])
        left -= len(pieces[-1])
    return pieces


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body would wait
    # for the client's delayed ACK (about 40 ms per request), which no real server shows.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return "emulator"

    @property
    def dispatcher(self) -> Dispatcher:
        return cast("LoopbackServer", self.server).dispatcher

    def log_message(self, format: str, *args: Any) -> None:
        if self.dispatcher.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            fault, response = self.dispatcher.answer(self._read_request())
            if response is None:  # "drop": close without a single response byte
                self.close_connection = True
                return
            self._write(response, fault)
        except OSError:  # the client went away, or stop() shut the socket
            self.close_connection = True
        except Exception:  # a bug in a vendor's stream: show it, then cut the response
            traceback.print_exc()
            self.close_connection = True

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        path = unquote(split.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Request(
            method=self.command,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=self._read_body(headers),
            full_path=path,
        )

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: Response, fault: str | None) -> None:
        body = response.body
        if isinstance(body, bytes | bytearray):
            self._write_fixed(response, bytes(body), fault)
        else:
            self._write_chunked(response, body, fault)

    def _head(self, response: Response, framing: dict[str, str]) -> None:
        self.send_response(response.status)
        for name, value in {**response.headers, **framing}.items():
            self.send_header(name, value)
        self.end_headers()

    def _write_fixed(self, response: Response, body: bytes, fault: str | None) -> None:
        half = body[: len(body) // 2]
        if fault == "truncate_framed":
            body = half
        self._head(response, {"Content-Length": str(len(body))})
        if fault == "truncate":  # promise every byte, send half, hang up
            self.wfile.write(half)
            self.close_connection = True
            return
        if fault == "stall":  # half the body, a pause past the client's timeout, the rest
            self.wfile.write(half)
            self.wfile.flush()
            self._stall()
            body = body[len(half) :]
        self.wfile.write(body)

    def _write_chunked(self, response: Response, body: Iterable[bytes], fault: str | None) -> None:
        cut = fault in ("truncate", "truncate_framed")
        pieces = [piece for piece in first_half(body) if piece] if cut else None
        self._head(response, {"Transfer-Encoding": "chunked"})
        if fault == "truncate":  # no zero chunk, and the cut falls inside the last chunk
            if pieces:
                *whole, last = pieces
                self._chunks(whole)
                self.wfile.write(b"%X\r\n%s" % (2 * len(last), last))
            self.close_connection = True
            return
        if fault == "stall":
            body = self._stalled_after_first(body)
        self._chunks(body if pieces is None else pieces)
        self.wfile.write(b"0\r\n\r\n")

    def _stalled_after_first(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for index, chunk in enumerate(chunks):
            if index == 1:
                self.wfile.flush()
                self._stall()
            yield chunk

    def _stall(self) -> None:
        time.sleep(self.dispatcher.stall_seconds())

    def _chunks(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            if chunk:  # an empty chunk would end the body
                self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk))


class LoopbackServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so stop() can end them all."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        super().__init__(address, Handler)
        self.dispatcher = dispatcher
        self._connections: dict[Any, threading.Thread] = {}
        self._connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a disconnect: nothing to report
        super().handle_error(request, client_address)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Hang up every open connection and wait for the handler threads to finish."""
        with self._connections_lock:
            open_now = list(self._connections.items())
        for sock, _ in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in open_now:
            thread.join(max(0.0, deadline - time.monotonic()))
