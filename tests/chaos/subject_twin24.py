"""tap-twin24 as a chaos subject: calls over a week, read in daily windows of several pages.

The canary password (or, with ``ready_token``, a token issued up front and no password) is a
secret, and so is every token and refresh token the emulator issues during the runs: the
account's token desk is wrapped to remember them. ``burst`` puts that many calls into one hour,
so that a window holds more than twin24's 50,000 per period and the tap must split it. Tokens
the tap logs in for live TOKEN_LIFETIME seconds, so renewals (refreshes, new logins, 401s) meet
the faults and kills too.
"""

from __future__ import annotations

import typing as t

from call_emulator.testing.twin24_support import TWIN24_PASSWORD, mount_twin24
from call_emulator.testing.twin24_truth import call_record, message_rows
from call_emulator.twin24 import Twin24Account
from tests.chaos.subject import Key, Subject
from tests.chaos.triggers import TokenUses

if t.TYPE_CHECKING:
    from call_emulator import Emulator
    from tests.chaos.process import Message, Run

TOKEN_TTL = 3600.0
TOKEN_USES = 5
"""API requests one token serves before the emulator refuses it: a complete run from no state
sends several times as many (a page per window at least, seven windows or more), so it must
renew its token."""
SPLIT = "splitting the period in two"
"""What tap-twin24 logs when it splits a window."""


class Twin24Subject(Subject):
    tap = "tap-twin24"
    module = "tap_twin24"
    kill_requests = 30

    def __init__(
        self,
        seed: int,
        calls: int = 3000,
        *,
        burst: int = 0,
        page_size: int = 100,
        ready_token: bool = False,
        token_uses: int = TOKEN_USES,
    ) -> None:
        self.account = Twin24Account(calls=calls, seed=seed, burst=burst)
        self.burst, self.page_size, self.ready_token = burst, page_size, ready_token
        self.issued: list[str] = []
        issue = self.account.auth.issue

        def remembered(email: str, ttl: float) -> dict[str, str]:
            tokens = issue(email, ttl)
            self.issued.extend(tokens.values())
            return tokens

        self.account.auth.issue = remembered  # type: ignore[method-assign]
        self.tokens = None if ready_token else TokenUses(self.account.auth, token_uses)
        """Spends the tokens the tap logs in for; none with a ready token (it cannot renew)."""

    def mount(self, emulator: Emulator) -> dict[str, t.Any]:
        config = mount_twin24(emulator, self.account)
        config["page_size"] = self.page_size
        if self.burst:
            config["window_hours"] = 24 * 7  # one window, over the cap: split until it fits
        if self.ready_token:
            del config["email"], config["password"]
            config["token"] = self.account.auth.issue(self.account.email, TOKEN_TTL)["token"]
        return config

    def unmet(self, runs: list[Run]) -> list[str]:
        found = []
        if self.burst and not any(SPLIT in run.stderr for run in runs):
            found.append("no window was split")
        complete = len(runs) == 1 and runs[0].exit_code == 0 and not runs[0].killed
        if self.tokens is not None and complete and not self.tokens.ran_out:
            found.append("no token ran out: the run never renewed one")
        return found

    def secrets(self) -> list[str]:
        return [TWIN24_PASSWORD, *self.issued]

    def truth(self) -> dict[Key, t.Any]:
        """Every call as call_emulator.testing.twin24_truth builds its record, its transcript
        lines, and the tasks with their names."""
        expected: dict[Key, t.Any] = {}
        for call_id, item in self.account.truth().items():
            expected["calls", call_id] = call_record(item)
            for row in message_rows(item):
                expected["call_messages", (call_id, row["position"])] = row
        for task in self.account.tasks:
            expected["tasks", task.id] = (task.name, task.bot_id, task.status)
        return expected

    def delivered(self, message: Message) -> tuple[Key, t.Any]:
        stream, row = message["stream"], message["record"]
        if stream == "calls":
            return (stream, row["id"]), row
        if stream == "call_messages":
            return (stream, (row["call_id"], row["position"])), row
        return (stream, row["id"]), (row["name"], row["botId"], row["status"])
