"""What every scenario needs to know of a tap: its account, config, ground truth and keys.

A subject builds a seeded emulator account with canary secrets, mounts it, and says which
records (by stream and primary key) a complete sync must deliver, with the values that must
come with them. Delivery then tallies what the runs of one scenario really delivered.
"""

from __future__ import annotations

import typing as t
from collections import Counter

from tests.chaos.leaks import leaked
from tests.chaos.outcome import Outcome

if t.TYPE_CHECKING:
    from call_emulator import Emulator
    from tests.chaos.process import Message, Run

Key = tuple[str, t.Hashable]
"""(stream, primary key)."""

LOG_DETAILS = {"log_details": True}
"""Every scenario's runs log what the SDK logs, METRIC lines included, so that the secrets scan
covers those lines too (by default the taps leave them out)."""

GENEROUS_RETRIES = {"request_timeout": 1, "max_retries": 25, "backoff_ms": 10}
"""Retry settings under which a run is expected to outlast fault rates up to 50 %: 1 s is the
shortest timeout the taps accept; at 50 % a request fails 26 times in a row once in 7e7, and the
doubling waits stay under a second for the first seven retries (the SDK adds up to 1 s each)."""


class Subject:
    """One tap against one seeded emulator account. Subclasses fill in the tap's specifics."""

    tap: str
    module: str
    kill_requests: int = 10
    """A kill -9 at a request falls as one of the first this many requests of a run comes:
    fewer than a complete run from no state sends, so that it falls within the run."""

    def mount(self, emulator: Emulator) -> dict[str, t.Any]:
        """Serve the account on ``emulator``; the tap config that reads all of it."""
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Every secret the tap was given or was issued (asked after the runs)."""
        raise NotImplementedError

    def truth(self) -> dict[Key, t.Any]:
        """Every record a complete sync delivers, with the value its row must carry."""
        raise NotImplementedError

    def delivered(self, message: Message) -> tuple[Key, t.Any] | None:
        """The key and value of a RECORD message; None for a row that is no delivery (an
        alovoice call still pending)."""
        raise NotImplementedError

    def double_submissions(self) -> int | None:
        """Calls billed more than once (alovoice); None for taps that bill nothing."""
        return None

    def unmet(self, runs: list[Run]) -> list[str]:  # noqa: ARG002 (the signature the caller fixes)
        """What the runs had to show beyond the records and did not (it would prove less)."""
        return []

    def in_flight(self) -> set[Key]:
        """Records whose making has begun at the vendor (alovoice: the submitted calls'
        analyses), asked at the moment of a kill."""
        return set()

    def settled(self, run: Run) -> bool:  # noqa: ARG002 (the signature the caller fixes)
        """Whether a run that exited 0 left nothing for a next run to collect."""
        return True


class Delivery:
    """The records delivered over every run of a scenario, against the subject's truth."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.truth = subject.truth()
        self.counts: Counter[Key] = Counter()
        self.wrong: dict[Key, t.Any] = {}
        self.runs: list[Run] = []

    def take(self, run: Run) -> None:
        self.runs.append(run)
        for message in run.records():
            found = self.subject.delivered(message)
            if found is None:
                continue
            key, value = found
            self.counts[key] += 1
            if key in self.truth and value != self.truth[key]:
                self.wrong.setdefault(key, value)

    @property
    def lost(self) -> set[Key]:
        return set(self.truth) - set(self.counts)

    @property
    def unexpected(self) -> set[Key]:
        return set(self.counts) - set(self.truth)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.counts.values())

    def leaked(self) -> bool:
        """Whether a secret is in any run's stdout (rows and states), stderr or state file."""
        sources = [path for run in self.runs for path in run.leak_sources]
        return bool(leaked(self.subject.secrets(), *sources))

    def outcome(self, scenario: str, *, expect_nothing: bool = False) -> Outcome:
        """The table row; with ``expect_nothing`` (an API that never answers) 0 are expected."""
        last = self.runs[-1] if self.runs else None
        outcome = Outcome(
            tap=self.subject.tap,
            scenario=scenario,
            expected=0 if expect_nothing else len(self.truth),
            delivered=len(self.counts),
            duplicates=self.duplicates,
            lost=0 if expect_nothing else len(self.lost),
            exit_code=last.exit_code if last else -1,
            leaked=self.leaked(),
            double_submissions=self.subject.double_submissions(),
            runs=len(self.runs),
        )
        outcome.problems.extend(self.problems(expect_nothing=expect_nothing))
        return outcome

    def problems(self, *, expect_nothing: bool = False) -> list[str]:
        found = [problem for run in self.runs for problem in run.problems]
        if not self.truth and not expect_nothing:
            found.append("the account holds nothing to deliver: the scenario proves nothing")
        found += self.subject.unmet(self.runs)
        if self.wrong:
            key = sorted(self.wrong, key=repr)[0]
            found.append(
                f"{len(self.wrong)} records differ from what the emulator served, e.g. {key}: "
                f"{self.wrong[key]!r:.200} instead of {self.truth[key]!r:.200}"
            )
        if self.unexpected:
            found.append(f"{len(self.unexpected)} records the emulator never served")
        if self.lost and not expect_nothing:
            found.append(f"lost records include {sorted(self.lost, key=repr)[:3]}")
        return found
