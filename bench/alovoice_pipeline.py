"""Wall time of tap-alovoice against its lower bound, on the loopback emulator.

Run with ``python -m bench.alovoice_pipeline`` (``--help`` for the knobs). 500 calls whose
analysis takes 2 s, 20 ms latency on every request, the default max_concurrency of 8, and a
poll_interval of 2 s (the analysis time: the first result query then finds most results
ready). No run can beat ``delay + requests x latency / concurrency``; the figures compare the
tap's wall time with that bound, both for the requests the tap made and for the 2 requests per
call (one submission, one result query) no tap can do without. Target: ratio <= 1.3.

The tap's wall time includes starting Python and the SDK; the span from its first request to
its last, as the emulator saw them, is printed as well.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.emulator import Emulator, Request, Response
from tests.emulator.alovoice import AlovoiceAccount
from tests.taprun import run_tap

TOKEN = "bench-token"


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
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--delay", type=float, default=2.0, help="analysis time, seconds")
    parser.add_argument("--latency", type=float, default=0.02, help="per request, seconds")
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--poll-interval", type=float, default=2.0)
    options = parser.parse_args()

    account = AlovoiceAccount(
        options.calls, TOKEN, delay_seconds=options.delay, latency_seconds=options.latency
    )
    span = _Span(account)
    with Emulator() as emulator, tempfile.TemporaryDirectory() as workdir:
        emulator.mount("/alovoice", account)
        config = {
            "api_url": emulator.url_for("/alovoice"),
            "token": TOKEN,
            "call_ids": account.call_ids(),
            "max_concurrency": options.max_concurrency,
            "poll_interval_ms": round(options.poll_interval * 1000),
        }
        started = time.monotonic()
        run = run_tap("tap_alovoice", config, Path(workdir))
        elapsed = time.monotonic() - started
        done = sum(1 for r in run.records("analyses") if r["status"] == "done")

    requests = account.requests.total
    per_request = options.latency / options.max_concurrency
    bound_made = options.delay + requests * per_request
    bound_least = options.delay + 2 * options.calls * per_request
    billed = account.submissions.snapshot()
    print(f"calls:                       {options.calls:>8,}")
    print(f"analysis delay / latency:    {options.delay:>8.2f} s / {options.latency * 1000:.0f} ms")
    print(f"max_concurrency / poll:      {options.max_concurrency:>8} / {options.poll_interval} s")
    print(f"tap exit code:               {run.exit_code:>8}")
    print(f"results delivered:           {done:>8,}")
    print(
        f"submissions (billed):        {sum(billed.values()):>8,} (max {max(billed.values())}/call)"
    )
    print(f"requests made:               {requests:>8,} ({requests / options.calls:.2f} per call)")
    print(f"tap wall time:               {elapsed:>8.2f} s")
    print(f"first to last request:       {span.seconds:>8.2f} s")
    print(f"lower bound, requests made:  {bound_made:>8.2f} s  ratio {elapsed / bound_made:.2f}")
    print(f"lower bound, 2 per call:     {bound_least:>8.2f} s  ratio {elapsed / bound_least:.2f}")


if __name__ == "__main__":
    main()
