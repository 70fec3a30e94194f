"""Synthetic aiokk dialogs, each built lazily and deterministically from (seed, dialog id).

An account of 200,000 dialogs must never sit in memory, yet every request and every test's
ground truth must see the same bytes. So each dialog has its own random.Random seeded by a string
of (seed, id) and is rebuilt on demand; the draws that the filters need come first (DialogHead),
so a filter can skip a dialog without building its text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import texts as tx
from .filters import DialogKeys

LOCAL_OFFSET = timedelta(hours=5)
"""The account's wall clock is UTC+05: call.date carries "+05", finishDate is naive local."""
WINDOW_START = datetime(2025, 4, 1)  # noqa: DTZ001 (aiokk's local wall clock is naive)
WINDOW_DAYS = 28
WORKDAY_START_HOUR, WORKDAY_HOURS = 9, 11
FIRST_DIALOG_ID = 1000
PRICE_PER_MINUTE = 75
CALL_TYPE_CUMULATIVE = (0.35, 0.8, 0.9, 1.0)
"""Call types 1 outgoing, 2 incoming, 3 redirected, 4 callback."""
PACK_CUMULATIVE = (0.4, 0.7, 0.9, 1.0)
"""Shares of the question packs, in the order of texts.QUESTION_PACKS."""
SIGNAL_COUNT_CUMULATIVE = (0.2, 0.35, 0.5, 0.62, 0.74, 0.84, 0.92, 0.97, 1.0)
"""How many signal words a finished dialog mentions: 0..8, none in a fifth of them."""


@dataclass(frozen=True)
class Operator:
    operator_id: int
    full_name: str
    int_num: int
    department_id: str
    department_name: str


@dataclass(frozen=True)
class Override:
    """A later state of one dialog: analysis (re)finished at `finish_date`, `revision` reruns."""

    finish_date: datetime
    revision: int = 0


def _full_name(rng: random.Random) -> str:
    female = rng.random() < 0.6
    surname = rng.choice(tx.SURNAMES) + (tx.FEMALE_SURNAME_SUFFIX if female else "")
    name = rng.choice(tx.FEMALE_NAMES if female else tx.MALE_NAMES)
    patronymic = rng.choice(tx.PATRONYMICS)[1 if female else 0]
    style = rng.random()
    if style < 0.15:
        return f"{name} {patronymic}"  # like the vendor's "Иван Иванович"
    if style < 0.3:
        return f"{name} {surname}"
    return f"{surname} {name} {patronymic}"


def build_operators(seed: int) -> tuple[Operator, ...]:
    """4-6 departments (sales and support always) and 15-30 operators, each in one department."""
    rng = random.Random(f"aiokk-catalogue:{seed}")
    count = rng.randint(4, 6)
    names = [*tx.DEPARTMENT_NAMES[:2], *rng.sample(tx.DEPARTMENT_NAMES[2:], count - 2)]
    departments = [
        (str(i), n) for i, n in zip(rng.sample(range(10, 120), count), names, strict=True)
    ]
    total = rng.randint(15, 30)
    operator_ids = sorted(rng.sample(range(1, 200), total))
    extensions = rng.sample(range(100, 1000), total)
    full_names: list[str] = []
    while len(full_names) < total:
        candidate = _full_name(rng)
        if candidate not in full_names:
            full_names.append(candidate)
    operators = []
    for k in range(total):
        dep_id, dep_name = departments[k] if k < count else rng.choice(departments)
        operators.append(Operator(operator_ids[k], full_names[k], extensions[k], dep_id, dep_name))
    return tuple(operators)


@dataclass(frozen=True)
class DialogHead:
    """The first draws of a dialog: everything the filters look at."""

    operator: Operator
    call_type: int
    pending_status: int | None
    """1 or 2 when the analysis was not finished at generation time, else None."""
    pack: tuple[int, str, int]
    quality: float
    loyalty: int
    signals: tuple[str, ...]

    def keys(self, override: Override | None) -> DialogKeys:
        finished = self.pending_status is None or override is not None
        return DialogKeys(
            finished=finished,
            department=self.operator.department_id,
            operator=self.operator.full_name,
            call_type=self.call_type,
            question_pack=self.pack[0] if finished else None,
            client_loyalty=self.loyalty if finished else None,
            signals=frozenset(self.signals) if finished else frozenset(),
        )


def pick(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    """An index drawn by cumulative weights (the last edge is 1.0)."""
    draw = rng.random()
    return next(i for i, edge in enumerate(cumulative) if draw < edge)


def draw_head(rng: random.Random, operators: tuple[Operator, ...], share: float) -> DialogHead:
    operator = operators[rng.randrange(len(operators))]
    call_type = 1 + pick(rng, CALL_TYPE_CUMULATIVE)
    pending = rng.random() < share
    pending_status = rng.randint(1, 2)
    pack = tx.QUESTION_PACKS[pick(rng, PACK_CUMULATIVE)]
    quality = rng.random()
    loyalty = max(1, min(10, round(1 + quality * 9 + rng.uniform(-1.5, 1.5))))
    count = pick(rng, SIGNAL_COUNT_CUMULATIVE)
    signals = tuple(rng.sample(tx.SIGNAL_WORDS, count))
    return DialogHead(
        operator, call_type, pending_status if pending else None, pack, quality, loyalty, signals
    )


def band(score: float) -> str:
    return "low" if score < 0.35 else "high" if score >= 0.7 else "mid"


def local_iso(moment: datetime) -> str:
    """finishDate's format: naive local wall clock, no offset."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
