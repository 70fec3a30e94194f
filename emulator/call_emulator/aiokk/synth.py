"""Builds whole synthetic aiokk dialogs in the vendor's exact shape and types.

The shape follows the vendor's example record field by field (departmentId a string, created_at
UTC with microseconds and "Z", date local with "+05", finishDate naive local), so a tap tested
here meets the same surprises as in production. Text draws come after the fixed draws, so a
reanalysis (a new revision) changes summary and marks but never the call, operator or filters.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import texts as tx
from .gen import (
    FIRST_DIALOG_ID,
    LOCAL_OFFSET,
    PRICE_PER_MINUTE,
    WINDOW_DAYS,
    WINDOW_START,
    WORKDAY_HOURS,
    WORKDAY_START_HOUR,
    DialogHead,
    Override,
    band,
    build_operators,
    draw_head,
    local_iso,
    pick,
)
from .index import HeadIndex

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from .filters import DialogKeys

LANGUAGES: tuple[tuple[str, ...], ...] = (("ru",), ("ru", "kk"), ("kk",), ())
LANGUAGE_CUMULATIVE = (0.7, 0.85, 0.9, 1.0)


class SyntheticDialogs:
    """`count` dialogs with ids FIRST_DIALOG_ID.., none of them stored."""

    def __init__(self, count: int, seed: int, unfinished_share: float) -> None:
        self.count = count
        self.seed = seed
        self.share = unfinished_share
        self.operators = build_operators(seed)
        self._index: HeadIndex | None = None
        self._index_lock = threading.Lock()

    def ids(self) -> range:
        return range(FIRST_DIALOG_ID, FIRST_DIALOG_ID + self.count)

    def has(self, dialog_id: int) -> bool:
        return dialog_id in self.ids()

    def horizon(self) -> datetime:
        """A local time later than every generated finishDate."""
        return WINDOW_START + timedelta(days=WINDOW_DAYS + 1)

    def values(self, kind: str) -> list[Any]:
        """The filter values that exist in this account (its catalogue)."""
        if kind == "department":
            return sorted({int(op.department_id) for op in self.operators})
        if kind == "operator":
            return sorted({op.full_name for op in self.operators})
        if kind == "question_pack":
            return [pack[0] for pack in tx.QUESTION_PACKS]
        if kind == "signals":
            return list(tx.SIGNAL_WORDS)
        raise KeyError(kind)

    def _rng(self, dialog_id: int) -> random.Random:
        return random.Random(f"aiokk:{self.seed}:{dialog_id}")

    def keys(self, dialog_id: int, override: Override | None) -> DialogKeys:
        return draw_head(self._rng(dialog_id), self.operators, self.share).keys(override)

    def select(
        self, kind: str, value: int | str, overrides: Mapping[int, Override]
    ) -> Iterator[int]:
        """Ids of the dialogs that the export `kind` = `value` returns, in id order."""
        with self._index_lock:
            if self._index is None:
                heads = (draw_head(self._rng(i), self.operators, self.share) for i in self.ids())
                self._index = HeadIndex(FIRST_DIALOG_ID, heads, self.operators)
        return self._index.select(kind, value, overrides)

    def _call_time(self, index: int, rng: random.Random) -> datetime:
        """Monotonic in the id, spread over the working hours of the window."""
        step = WINDOW_DAYS * WORKDAY_HOURS * 3600 / max(self.count, 1)
        day, second = divmod(int((index + rng.random()) * step), WORKDAY_HOURS * 3600)
        return WINDOW_START + timedelta(days=day, hours=WORKDAY_START_HOUR, seconds=second)

    def build(self, dialog_id: int, override: Override | None) -> dict[str, Any]:
        rng = self._rng(dialog_id)
        head = draw_head(rng, self.operators, self.share)
        local = self._call_time(dialog_id - FIRST_DIALOG_ID, rng)
        duration = min(3600, 5 + int(rng.expovariate(1 / 150)))
        phone = f"{rng.choice(tx.PHONE_CODES)}{rng.randrange(10**7):07d}"  # 10 digits, no +7
        languages = LANGUAGES[pick(rng, LANGUAGE_CUMULATIVE)]
        delay = rng.randint(60, 1800)
        english = rng.random() < 0.35
        minutes = -(-duration // 60)
        op = head.operator
        dialog: dict[str, Any] = {
            "call": {
                "dialogId": dialog_id,
                "created_at": (local - LOCAL_OFFSET).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "callerId": f"+7 ({phone[:3]}) {phone[3:6]} {phone[6:8]} {phone[8:]}",
                "callerIdClean": phone,
                "callType": head.call_type,
                "date": local.strftime("%Y-%m-%d %H:%M:%S+05"),
                "durationSec": duration,
                "durationMin": minutes,
            },
            "operator": {
                "operatorId": op.operator_id,
                "fullName": op.full_name,
                "intNum": op.int_num,
                "departmentId": op.department_id,
                "departmentName": op.department_name,
            },
        }
        if head.pending_status is not None and override is None:
            dialog["analytics"] = _pending(head.pending_status)
            return dialog
        revision = override.revision if override else 0
        text_rng = rng if revision == 0 else random.Random(f"{self.seed}:{dialog_id}:r{revision}")
        finish = override.finish_date if override else local + timedelta(seconds=duration + delay)
        dialog["analytics"] = {
            "status": 3,
            # Whole minutes as in the vendor's example; every fourth call billed per second.
            "price": round(duration * PRICE_PER_MINUTE / 60, 2)
            if dialog_id % 4 == 0
            else minutes * PRICE_PER_MINUTE,
            "finishDate": local_iso(finish),
            "summary": _summary(text_rng, head.quality, english, revision),
            "languages": list(languages),
            "clientLoyalty": _loyalty(head.loyalty, english),
            "evaluationCriteria": _criteria(text_rng, head, english),
            "signals": {
                "signalsTitle": tx.SIGNALS_TITLE,
                "count": len(head.signals),
                "mentionedSignals": ", ".join(head.signals),
            },
            # Undocumented items: some dialogs carry one, in a shape the tap must pass through.
            "markers": [{"name": "Повторный звонок", "value": True}] if dialog_id % 7 == 0 else [],
        }
        return dialog


def _pending(status: int) -> dict[str, Any]:
    """An analysis still queued (1) or running (2): nothing evaluated, nothing billed yet."""
    return {
        "status": status,
        "price": 0,
        "finishDate": None,
        "summary": None,
        "languages": [],
        "clientLoyalty": None,
        "evaluationCriteria": None,
        "signals": None,
        "markers": [],
    }


def _summary(rng: random.Random, quality: float, english: bool, revision: int) -> str:
    pool = tx.SUMMARY_EN if english else tx.SUMMARY_RU
    middle = rng.sample(pool[band(quality)], rng.randint(1, 2))
    parts = [rng.choice(pool["open"]), *middle, rng.choice(pool["close"])]
    if revision:
        parts.append(f"Повторный анализ №{revision}.")
    return " ".join(parts)


def _loyalty(grade: int, english: bool) -> dict[str, Any]:
    level, lang = band((grade - 1) / 9), int(english)
    return {
        "currentGrade": grade,
        "description": tx.LOYALTY_DESCRIPTION[level][lang],
        "recommendation": tx.LOYALTY_RECOMMENDATION[level][lang],
    }


def _criteria(rng: random.Random, head: DialogHead, english: bool) -> dict[str, Any]:
    pack_id, title, count = head.pack
    offset = 3 * [pack[0] for pack in tx.QUESTION_PACKS].index(pack_id)
    templates = tx.CRITERION_EN if english else tx.CRITERION_RU
    marks = [
        max(1, min(10, round(1 + head.quality * 9 + rng.uniform(-2, 2)))) for _ in range(count)
    ]
    criteria: dict[str, Any] = {
        "evaluationId": pack_id,
        "evaluationTitle": title,
        "eCurrentGrade": sum(marks),
        "maxGrade": 10 * count,
        "evaluationRecommendation": tx.EVALUATION_RECOMMENDATION[band(head.quality)][int(english)],
    }
    for k, mark in enumerate(marks, start=1):
        topic = tx.CRITERION_TOPICS[(offset + k - 1) % len(tx.CRITERION_TOPICS)][int(english)]
        text = rng.choice(templates[band(mark / 10)]).format(topic=topic)
        criteria[f"criterion{k}"] = {f"description{k}": text, f"mark{k}": mark}
    return criteria
