"""Run the emulator in the foreground, for demos and manual runs of the taps against it.

    call-emulator --port 8080 --dialogs 5000 --calls 5000 --seed 1 --token demo-token

serves until SIGINT or SIGTERM, and prints where: aiokk at http://127.0.0.1:8080/aiokk (the
tap's api_url); twin24's three hosts at /twin24/iam, /twin24/analyse and /twin24/cis (its
auth_url, api_url and tasks_url; log in with --email and --password); alovoice at /alovoice
(its api_url; the call ids are written to --alovoice-call-ids-file when given).
"""

from __future__ import annotations

import argparse
import errno
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from . import (
    AIOKK_PREFIX,
    ALL_FAULTS,
    ALOVOICE_PREFIX,
    AiokkAccount,
    AlovoiceAccount,
    Emulator,
    FaultPlan,
)
from .twin24 import Twin24Account

if TYPE_CHECKING:
    from types import FrameType

TWIN24_HOSTS = ("iam", "analyse", "cis")


class _HelpFormat(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written, and each option's default after its help: the accounts'
    logins and tokens are the ones a tap run against the emulator needs. At least as wide as
    the description, so that a default (the list of faults) is not cut in two."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=max(100, shutil.get_terminal_size().columns - 2))

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:  # no default: nothing to say
            return action.help
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="call-emulator", description=__doc__, formatter_class=_HelpFormat
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--dialogs", type=int, default=5000, help="aiokk dialogs in the account")
    parser.add_argument("--calls", type=int, default=5000, help="twin24 calls in the account")
    parser.add_argument("--email", default="demo@twin24.example", help="twin24 login")
    parser.add_argument("--password", default="demo-password", help="twin24 password")
    parser.add_argument(
        "--alovoice-calls", type=int, default=100, help="alovoice recorded calls in the account"
    )
    parser.add_argument(
        "--alovoice-delay", type=float, default=5.0, help="seconds an alovoice analysis takes"
    )
    parser.add_argument("--alovoice-call-ids-file", help="write the alovoice call ids here")
    parser.add_argument("--seed", type=int, default=1, help="seed of every account's content")
    parser.add_argument("--token", default="demo-token", help="aiokk and alovoice API token")
    parser.add_argument(
        "--unfinished-share",
        type=float,
        default=0.1,
        help="share of aiokk dialogs whose analysis has not finished",
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of requests answered with a fault"
    )
    parser.add_argument(
        "--fault-kinds", default=",".join(ALL_FAULTS), help="comma-separated subset of faults"
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the faults' draw")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    kinds = tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip())
    account = AiokkAccount(args.dialogs, args.seed, args.token, args.unfinished_share)
    emulator = Emulator(args.port, host=args.host, verbose=args.verbose)
    emulator.faults = FaultPlan(args.fault_rate, kinds, seed=args.fault_seed)
    emulator.mount(AIOKK_PREFIX, account)
    calls = Twin24Account(args.calls, args.seed, email=args.email, password=args.password)
    for host in TWIN24_HOSTS:
        emulator.mount(f"/twin24/{host}", getattr(calls, host))
    recordings = AlovoiceAccount(
        args.alovoice_calls, args.token, delay_seconds=args.alovoice_delay, seed=args.seed
    )
    emulator.mount(ALOVOICE_PREFIX, recordings)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        emulator.start()
    except OSError as error:
        print(f"emulator: {_cannot_listen(args.host, args.port, error)}", file=sys.stderr)
        return 1
    with emulator:
        if args.alovoice_call_ids_file:  # once serving: the file appears when the API is up
            Path(args.alovoice_call_ids_file).write_text("\n".join(recordings.call_ids()) + "\n")
        print(f"aiokk emulator: {emulator.url_for(AIOKK_PREFIX)}", flush=True)
        for host in TWIN24_HOSTS:
            print(f"twin24 {host} emulator: {emulator.url_for('/twin24/' + host)}", flush=True)
        print(f"twin24 calls from {calls.first_moment().isoformat()}", flush=True)
        print(f"alovoice emulator: {emulator.url_for(ALOVOICE_PREFIX)}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    """What went wrong binding host:port, and what to do, in one line."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use; stop what listens there or pass another "
            "--port (0 picks a free one)"
        )
    reason = error.strerror or str(error)
    return f"cannot listen on {host}:{port} ({reason}); pass another --host or --port"


if __name__ == "__main__":
    raise SystemExit(main())
