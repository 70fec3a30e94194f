"""The personal values an emulated account serves: what ``personal_data`` must keep out.

Read from the emulator's own truth, not from a tap's output: every phone number in the
spelling the vendor wrote it, every name, transcript line, summary and recording path.
"""

from __future__ import annotations

import json
import typing as t

if t.TYPE_CHECKING:
    from call_emulator import AlovoiceAccount
    from call_emulator.twin24 import Twin24Account

#: Shorter values ("да", "Алло") are words that other fields hold too (twin24's dialog
#: result); the tests that ``drop`` nulls every marked field cover them.
SHORTEST = 8


def twin24_values(account: Twin24Account) -> set[str]:
    served: set[str] = set()
    for item in account.truth(None, None).values():
        for field in ("phone", "messagesAsString", "recordPath", "externalId", "additional"):
            if item.get(field):
                served.add(str(item[field]))
        served.update(str(line["text"]) for line in item.get("messages") or [] if line.get("text"))
    return served


def aiokk_values(dialogs: t.Iterable[t.Mapping[str, t.Any]]) -> set[str]:
    served: set[str] = set()
    for dialog in dialogs:
        call, operator = dialog.get("call") or {}, dialog.get("operator") or {}
        analytics = dialog.get("analytics") or {}
        values = (call.get("callerId"), call.get("callerIdClean"), operator.get("fullName"))
        served.update(str(value) for value in (*values, analytics.get("summary")) if value)
    return served


def alovoice_values(account: AlovoiceAccount) -> set[str]:
    served: set[str] = set()
    for call_id in account.call_ids():
        answer = account.truth(call_id)
        served.add(str(answer["stereoaudio"]))
        served.update(str(fragment["text"]) for fragment in answer.get("stalk") or [])
        tags = answer.get("tags") or []
        served.update(str(tag["match_text"]) for tag in tags if tag.get("match_text"))
    return served


def found_in(text: str, served: t.Iterable[str]) -> list[str]:
    """The served values of at least SHORTEST characters that ``text`` holds, as they are or
    as JSON writes them (escaped line breaks)."""
    return sorted(
        value
        for value in served
        if len(value) >= SHORTEST
        and (value in text or json.dumps(value, ensure_ascii=False)[1:-1] in text)
    )


def searchable(served: t.Iterable[str]) -> list[str]:
    """The served values ``found_in`` looks for."""
    return [value for value in served if len(value) >= SHORTEST]
