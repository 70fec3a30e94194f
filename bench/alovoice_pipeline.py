"""Wall time of tap-alovoice against its lower bound, on the loopback emulator.

Run with ``python -m bench.alovoice_pipeline`` (``--help`` for the knobs). The tap runs with
its default settings (poll_interval_ms, max_concurrency...), from no state, and 20 ms latency on
every request, twice: 500 calls whose analysis takes 2 s, and 100 calls whose analysis takes
60 s. No run can beat ``delay + requests x latency / concurrency``; the figures compare the
tap's wall time with that bound for the 3 requests per call no tap can do without (ask whether
the call was submitted, submit it, collect the result), and for the requests the tap made.
Targets: ratio <= 1.3 for 2 s analyses; for 60 s analyses, no more requests per call than the
7.00 of a fixed 5 s first poll growing 1.5 times.

The tap's wall time includes starting Python and the SDK (seconds on a busy machine); the span
from its first request to its last, as the emulator saw them, is printed as well.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from call_emulator import Emulator, Request, Response
from call_emulator.alovoice import AlovoiceAccount
from call_emulator.testing.taprun import run_tap

TOKEN = "bench-token"
DEFAULT_CONCURRENCY = 8  # tap-alovoice's max_concurrency default


class _Span:
    """First and last request the account saw, by wrapping its handler."""

    def __init__(self, account: AlovoiceAccount) -> None:
        self.first = self.last = 0.0
        handle = account.handle

        def timed(request: Request) -> Response:
            now = time.monotonic()
            self.first = self.first or now
            response = handle(request)
            self.last = time.monotonic()
            return response

        account.handle = timed  # type: ignore[method-assign]

    @property
    def seconds(self) -> float:
        return self.last - self.first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, help="one case with this many calls")
    parser.add_argument("--delay", type=float, help="one case with this analysis time, seconds")
    parser.add_argument("--latency", type=float, default=0.02, help="per request, seconds")
    options = parser.parse_args()
    cases = [(500, 2.0), (100, 60.0)]
    if options.calls is not None or options.delay is not None:
        cases = [(options.calls or 500, 2.0 if options.delay is None else options.delay)]
    for calls, delay in cases:
        measure(calls, delay, options.latency)


def measure(calls: int, delay: float, latency: float) -> None:
    """One run of the tap with default settings; its figures."""
    account = AlovoiceAccount(calls, TOKEN, delay_seconds=delay, latency_seconds=latency)
    span = _Span(account)
    ids = account.call_ids()
    with Emulator() as emulator, tempfile.TemporaryDirectory() as workdir:
        emulator.mount("/alovoice", account)
        # Nothing but what the tap needs: every other setting keeps its default.
        config = {"api_url": emulator.url_for("/alovoice"), "token": TOKEN, "call_ids": ids}
        started = time.monotonic()
        run = run_tap("tap_alovoice", config, Path(workdir))
        elapsed = time.monotonic() - started
        done = sum(1 for r in run.records("analyses") if r["status"] == "done")
        learned_ms = run.final_state["bookmarks"]["analyses"].get("analysis_ms")
        learned = None if learned_ms is None else learned_ms / 1000

    requests = account.requests.total
    per_request = latency / DEFAULT_CONCURRENCY
    bound_made = delay + requests * per_request
    bound_least = delay + 3 * calls * per_request
    billed = account.submissions.snapshot()
    print(f"calls:                       {calls:>8,}")
    print(f"analysis delay / latency:    {delay:>8.2f} s / {latency * 1000:.0f} ms")
    print(f"tap exit code:               {run.exit_code:>8}")
    print(f"results delivered:           {done:>8,}")
    most = max(billed.values())
    print(f"submissions (billed):        {sum(billed.values()):>8,} (max {most}/call)")
    print(f"requests made:               {requests:>8,} ({requests / calls:.2f} per call)")
    print(f"learned analysis time:       {learned!s:>8} s")
    print(f"tap wall time:               {elapsed:>8.2f} s")
    print(f"first to last request:       {span.seconds:>8.2f} s")
    print(f"lower bound, 3 per call:     {bound_least:>8.2f} s  ratio {elapsed / bound_least:.2f}")
    print(f"lower bound, requests made:  {bound_made:>8.2f} s  ratio {elapsed / bound_made:.2f}")
    print(f"first to last request / 3 per call bound:  ratio {span.seconds / bound_least:.2f}")
    print(f"tap peak RSS:                {run.peak_rss_mb:>8.1f} MB")
    print()


if __name__ == "__main__":
    main()
