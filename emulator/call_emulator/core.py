"""A loopback HTTP server that hosts vendor emulators, so taps are tested against real sockets.

Mocking the HTTP client would hide exactly what breaks in production (framing, streaming,
timeouts, disconnects). Each vendor is mounted under its own path prefix on one server, which
counts requests and, when a FaultPlan is set, injects failures the same way for every vendor.
"""

from __future__ import annotations

import dataclasses
import threading
import traceback
from typing import TYPE_CHECKING

from .faults import ALL_FAULTS, STATUS_FAULTS, FaultDice, FaultPlan, status_fault_response
from .messages import Request, Response, Vendor
from .tally import RequestLog, Tally
from .wire import LoopbackServer

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["ALL_FAULTS", "Emulator", "FaultPlan", "Request", "RequestLog", "Response", "Vendor"]


def _normal_prefix(prefix: str) -> str:
    return "/" + prefix.strip("/") if prefix.strip("/") else ""


class Emulator:
    """Serves mounted vendors on 127.0.0.1 from a daemon thread; use as a context manager."""

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        faults: FaultPlan | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.verbose = verbose
        self.request_log = RequestLog()
        self.faults_injected: Tally[str] = Tally()
        self._requested_port = port
        self._mounts: dict[str, Vendor] = {}
        self._dice: FaultDice | None = None
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self.faults = faults

    # --- configuration -------------------------------------------------------------------

    def mount(self, prefix: str, vendor: Vendor) -> None:
        """Route every path equal to or below `prefix` (e.g. "/aiokk") to `vendor`."""
        mounts = dict(self._mounts)
        mounts[_normal_prefix(prefix)] = vendor
        self._mounts = mounts  # swapped whole: handler threads never see a half-updated dict

    @property
    def faults(self) -> FaultPlan | None:
        return self._dice.plan if self._dice else None

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        """A new plan restarts its seeded draw; None turns faults off."""
        self._dice = FaultDice(plan) if plan is not None else None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = LoopbackServer((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, hang up open connections, join every thread, close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def url_for(self, prefix: str) -> str:
        """The base URL of the vendor mounted at `prefix`, e.g. http://127.0.0.1:54321/aiokk."""
        return self.url + _normal_prefix(prefix)

    # --- per request (called from handler threads) --------------------------------------

    def answer(self, request: Request) -> tuple[str | None, Response | None]:
        """The fault drawn for this request (or None) and the response to send (None: drop)."""
        self.request_log.add((request.method, request.full_path))
        dice = self._dice
        fault = dice.roll() if dice is not None else None
        if fault is not None:
            self.faults_injected.add(fault)
        if fault in STATUS_FAULTS and dice is not None:
            return fault, status_fault_response(fault, dice.plan.retry_after)
        if fault == "drop":
            return fault, None
        if fault == "slow" and dice is not None:
            self._stopping.wait(dice.plan.slow_seconds)
        return fault, self._route(request)

    def stall_seconds(self) -> float:
        """How long a "stall" fault pauses in the middle of a body."""
        dice = self._dice
        return dice.plan.slow_seconds if dice is not None else 0.0

    def _route(self, request: Request) -> Response:
        path, mounts = request.full_path, self._mounts
        for prefix in sorted(mounts, key=len, reverse=True):
            if path == prefix or path.startswith(prefix + "/"):
                inner = dataclasses.replace(request, path=path[len(prefix) :] or "/")
                try:
                    return mounts[prefix].handle(inner)
                except Exception:  # a bug in a vendor: show it, answer like a crashed backend
                    traceback.print_exc()
                    return Response.json({"error": "emulator vendor crashed"}, 500)
        return Response.json({"error": "Not Found", "message": f"no vendor at {path}"}, 404)
