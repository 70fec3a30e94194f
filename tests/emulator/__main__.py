"""Run the emulator in the foreground, for demos and manual runs of a tap against it.

    python -m tests.emulator --port 8080 --dialogs 5000 --seed 1 --token demo-token

serves aiokk at http://127.0.0.1:8080/aiokk (the tap's api_url) until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from . import AIOKK_PREFIX, ALL_FAULTS, AiokkAccount, Emulator, FaultPlan


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--dialogs", type=int, default=5000, help="aiokk dialogs in the account")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default="demo-token")
    parser.add_argument("--unfinished-share", type=float, default=0.1)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument(
        "--fault-kinds", default=",".join(ALL_FAULTS), help="comma-separated subset of faults"
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    kinds = tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip())
    account = AiokkAccount(args.dialogs, args.seed, args.token, args.unfinished_share)
    emulator = Emulator(args.port, host=args.host, verbose=args.verbose)
    emulator.faults = FaultPlan(args.fault_rate, kinds, seed=args.fault_seed)
    emulator.mount(AIOKK_PREFIX, account)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with emulator:
        print(f"aiokk emulator: {emulator.url_for(AIOKK_PREFIX)}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
