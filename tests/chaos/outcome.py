"""What one scenario proved: the row of the resilience table, and whether it passes."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from pathlib import Path


@dataclass
class Outcome:
    """Figures of one scenario, compared with the emulator's ground truth.

    ``expected`` counts the distinct records (by primary key, over all streams) the emulator
    served and the tap should deliver; ``delivered`` the distinct keys that came out over every
    run of the scenario; ``duplicates`` the records delivered more than once (allowed: delivery is
    at least once with idempotent keys); ``lost`` the expected keys never delivered.
    ``double_submissions`` is alovoice's count of calls submitted more than once (None elsewhere).
    ``injected`` counts the faults (failed requests, kills) the scenario set off; 0 fails the
    row, as it proved nothing; None where the input itself is the fault (bad input).
    ``problems`` lists what the scenario itself found wrong (a wrong exit code, a missing error
    line, a traceback); the generic checks are added by :attr:`failures`. ``notes`` say what a
    reader of the table may want to know beyond the figures (faults injected, where kills fell).
    """

    tap: str
    scenario: str
    expected: int
    delivered: int
    duplicates: int
    lost: int
    exit_code: int
    leaked: bool
    double_submissions: int | None = None
    injected: int | None = None
    runs: int = 1
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """Every reason this row fails; empty when it passes."""
        found = list(self.problems)
        if self.injected == 0:
            found.append("no fault was injected: the scenario proves nothing")
        if self.lost:
            found.append(f"{self.lost} records lost")
        if self.leaked:
            found.append("a secret leaked")
        if self.double_submissions:
            found.append(f"{self.double_submissions} calls submitted twice")
        return found

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Scenario:
    """One named scenario of one tap; ``run`` gets a fresh working directory."""

    tap: str
    name: str
    run: t.Callable[[Path], Outcome]
