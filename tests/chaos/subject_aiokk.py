"""tap-aiokk as a chaos subject: a few hundred dialogs, read through every kind of filter.

With ``every_filter``, every filter kind is configured, so that one sync sends some sixty
export requests (a fault rate then hits many of them) and sees each dialog several times, which
the tap must emit once; without it, call types, departments and question packs (13 requests).
"""

from __future__ import annotations

import typing as t

from call_emulator.testing import aiokk_truth
from call_emulator.testing.aiokk_support import AIOKK_TOKEN, aiokk_account, mount_aiokk
from tests.chaos.subject import Key, Subject

if t.TYPE_CHECKING:
    from call_emulator import Emulator
    from tests.chaos.process import Message


class AiokkSubject(Subject):
    tap = "tap-aiokk"
    module = "tap_aiokk"
    kill_requests = 40

    def __init__(self, seed: int, dialogs: int = 300, *, every_filter: bool = True) -> None:
        self.account = aiokk_account(dialogs=dialogs, seed=seed)
        self.every_filter = every_filter

    def mount(self, emulator: Emulator) -> dict[str, t.Any]:
        config = mount_aiokk(emulator, self.account)
        account = self.account
        config["department_ids"] = account.department_ids()
        config["question_pack_ids"] = account.question_pack_ids()
        if self.every_filter:
            config["operator_names"] = account.operator_names()
            config["client_loyalty_grades"] = list(range(1, 11))
            config["signal_words"] = account.signal_words()
        return config

    def secrets(self) -> list[str]:
        return [AIOKK_TOKEN]

    def truth(self) -> dict[Key, t.Any]:
        """Dialogs with the fields tap_aiokk/tests/test_sync.py checks; criteria with their marks,
        signals with their words."""
        finished = aiokk_truth.finished(self.account.truth())
        expected: dict[Key, t.Any] = {
            ("dialogs", dialog_id): (
                raw["analytics"]["price"],
                raw["analytics"]["summary"],
                raw["operator"]["fullName"],
                raw["call"]["callType"],
            )
            for dialog_id, raw in finished.items()
        }
        for dialog_id, number, mark in aiokk_truth.criteria_keys(finished.values()):
            expected["dialog_criteria", (dialog_id, number)] = mark
        for dialog_id, position, word in aiokk_truth.signal_keys(finished.values()):
            expected["dialog_signals", (dialog_id, position)] = word
        return expected

    def delivered(self, message: Message) -> tuple[Key, t.Any]:
        stream, row = message["stream"], message["record"]
        if stream == "dialogs":
            values = (row["price"], row["summary"], row["operator_name"], row["call_type"])
            return (stream, row["dialog_id"]), values
        if stream == "dialog_criteria":
            return (stream, (row["dialog_id"], row["number"])), row["mark"]
        return (stream, (row["dialog_id"], row["position"])), row["signal"]
