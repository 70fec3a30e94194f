"""tap-alovoice as a chaos subject: a couple of hundred calls, submitted and collected.

A call counts as delivered by its ``done`` row; a ``pending`` row is an interim report that the
next run supersedes, so it is no delivery (and no duplicate). The account bills every
submission, which gives the "submitted twice" column. A run that exited 0 may still leave calls
for the next one, by design: calls still being analysed at max_wait, and calls whose
submissions failed more than max_retries times (a submission that may have arrived is settled
by asking alovoice within the run).
"""

from __future__ import annotations

import typing as t

from call_emulator.testing.alovoice_support import (
    ALOVOICE_TOKEN,
    alovoice_account,
    expected_fragments,
    expected_tags,
    mount_alovoice,
)
from tests.chaos.subject import Key, Subject

if t.TYPE_CHECKING:
    from call_emulator import Emulator
    from tests.chaos.process import Message, Run

OPEN_CALLS = ("pending_call_ids", "unconfirmed_call_ids")


class AlovoiceSubject(Subject):
    tap = "tap-alovoice"
    module = "tap_alovoice"
    kill_requests = 150

    def __init__(self, seed: int, calls: int = 200) -> None:
        self.account = alovoice_account(calls, seed=seed)

    def mount(self, emulator: Emulator) -> dict[str, t.Any]:
        return mount_alovoice(emulator, self.account)

    def secrets(self) -> list[str]:
        return [ALOVOICE_TOKEN]

    def truth(self) -> dict[Key, t.Any]:
        """Each call done with its aicallid and counts; its fragments and tags as
        call_emulator/testing/alovoice_support.py builds them."""
        expected: dict[Key, t.Any] = {}
        for call_id in self.account.call_ids():
            answer = self.account.truth(call_id)
            expected["analyses", call_id] = _analysis(
                "done", answer["aicallid"], len(answer["stalk"]), len(answer["tags"])
            )
            for row in expected_fragments(call_id, answer):
                expected["fragments", row["fragment_id"]] = row
            for row in expected_tags(call_id, answer):
                expected["tags", (call_id, row["position"])] = row
        return expected

    def delivered(self, message: Message) -> tuple[Key, t.Any] | None:
        stream = message["stream"]
        row = {k: v for k, v in message["record"].items() if k != "collected_at"}
        if stream == "analyses":
            if row["status"] == "pending":
                return None
            values = _analysis(
                row["status"], row["aicallid"], row["fragment_count"], row["tag_count"]
            )
            return (stream, row["call_id"]), values
        if stream == "fragments":
            return (stream, row["fragment_id"]), row
        return (stream, (row["call_id"], row["position"])), row

    def double_submissions(self) -> int:
        return sum(1 for n in self.account.submissions.snapshot().values() if n > 1)

    def in_flight(self) -> set[Key]:
        return {("analyses", call_id) for call_id in self.account.submitted()}

    def settled(self, run: Run) -> bool:
        """No call left pending or unconfirmed in the state the run ended with."""
        state = run.last_state or {}
        saved = state.get("bookmarks", {}).get("analyses", {})
        return not any(saved.get(name) for name in OPEN_CALLS)


def _analysis(status: str, aicallid: str, fragments: int, tags: int) -> dict[str, t.Any]:
    return {"status": status, "aicallid": aicallid, "fragment_count": fragments, "tag_count": tags}
