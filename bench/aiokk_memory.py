"""Peak memory of tap-aiokk on a large export, against the loopback emulator.

Run with ``make bench`` (or ``python -m bench.aiokk_memory --dialogs 200000``). It prints the
size of the largest single response, the total exported, the tap's peak RSS and its run time.
The target: a 200 MB response must not take the tap above 150 MB RSS.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from call_emulator import AiokkAccount, Emulator
from call_emulator.testing.taprun import run_tap

TOKEN = "bench-token"
CALL_TYPES = (1, 2, 3, 4)
DIALOG_RECORD = '{"type":"RECORD","stream":"dialogs"'


def body_size(url: str, call_type: int) -> int:
    """Bytes of one export response, read in chunks like the tap does."""
    response = requests.post(
        f"{url}/api/v1/export/dialogs/call_type",
        json={"token": TOKEN, "call_type": call_type},
        stream=True,
        timeout=600,
    )
    response.raise_for_status()
    return sum(len(chunk) for chunk in response.iter_content(1 << 20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    with Emulator() as emulator, tempfile.TemporaryDirectory() as workdir:
        account = AiokkAccount(dialogs=options.dialogs, seed=options.seed, token=TOKEN)
        emulator.mount("/aiokk", account)
        url = f"{emulator.url}/aiokk"
        sizes = {call_type: body_size(url, call_type) for call_type in CALL_TYPES}
        started = time.monotonic()
        run = run_tap("tap_aiokk", {"api_url": url, "token": TOKEN}, Path(workdir))
        elapsed = time.monotonic() - started
        with run.stdout_path.open(encoding="utf-8") as output:
            dialogs = sum(1 for line in output if line.startswith(DIALOG_RECORD))

    print(f"dialogs in account:         {options.dialogs:>10,}")
    print(f"largest single response:    {max(sizes.values()) / 1e6:>10.1f} MB")
    total_mb = sum(sizes.values()) / 1e6
    print(f"exported in all:            {total_mb:>10.1f} MB in {len(sizes)} responses")
    print(f"dialog records emitted:     {dialogs:>10,}")
    print(f"tap exit code:              {run.exit_code:>10}")
    print(f"tap peak RSS:               {run.peak_rss_mb:>10.1f} MB (target: 150 MB)")
    print(f"tap run time:               {elapsed:>10.1f} s")


if __name__ == "__main__":
    main()
