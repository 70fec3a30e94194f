"""Helpers shared by the tap-aiokk tests: a canary token, a mounted account, hand-built dialogs."""

from __future__ import annotations

import copy
import typing as t

from call_emulator import AiokkAccount, Emulator

# A canary: no output of any run may ever contain it.
AIOKK_TOKEN = "canary-aiokk-token-5d1f0e7a9b"


def aiokk_account(**kwargs: t.Any) -> AiokkAccount:
    """A synthetic account whose token is the canary."""
    kwargs.setdefault("token", AIOKK_TOKEN)
    return AiokkAccount(**kwargs)


def dialog_with_id(raw: t.Mapping[str, t.Any], dialog_id: int) -> dict[str, t.Any]:
    """A deep copy of a raw dialog under another id, for hand-built accounts."""
    dialog = copy.deepcopy(dict(raw))
    dialog["call"]["dialogId"] = dialog_id
    return dialog


def mount_aiokk(emulator: Emulator, account: AiokkAccount) -> dict[str, t.Any]:
    """Serve ``account`` and return a tap config that reads it quickly and retries a lot."""
    emulator.mount("/aiokk", account)
    return {
        "api_url": f"{emulator.url}/aiokk",
        "token": AIOKK_TOKEN,
        "timezone": "Asia/Almaty",
        "request_timeout": 1,
        "max_retries": 10,
        "backoff_ms": 50,
    }
