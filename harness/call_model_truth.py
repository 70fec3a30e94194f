"""What the call model's marts (transform/) must hold, worked out from the emulator's accounts.

Independent of the model's SQL: it reads the raw answers the emulator serves now, so a stale
transcript line or criterion left in a loader's table by an earlier version shows up as a row
the truth does not have.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from datetime import UTC, datetime

from call_emulator.testing.aiokk_truth import finished
from call_emulator.testing.alovoice_support import expected_fragments, expected_tags

if t.TYPE_CHECKING:
    from harness.meltano_project import Accounts

SPEAKERS = {"robot": "robot", "user": "client"}
"""twin24's message authors, as the model names the speaker."""
Value = float | None


@dataclass(frozen=True)
class Call:
    """The columns of a `calls` row the truth knows (timestamps as naive UTC, as loaded)."""

    vendor: str
    started_at: datetime | None
    duration_seconds: int | None
    status: str
    cost: Value


def naive_utc(text: str | None) -> datetime | None:
    """An ISO 8601 time with an offset (aiokk's "2025-04-21 12:06:15+05") as naive UTC."""
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


@dataclass
class MartTruth:
    calls: dict[str, Call] = field(default_factory=dict)
    lines: dict[str, tuple[str, str]] = field(default_factory=dict)
    """line_key -> (speaker, text)."""
    quality: dict[str, Value] = field(default_factory=dict)
    """quality_key -> value."""
    signal_words: dict[str, str | None] = field(default_factory=dict)
    """quality_key of each signal_words row -> the words, joined by ", " (None: no word)."""


def number(value: t.Any) -> Value:
    return None if value is None else float(value)


def mart_truth(accounts: Accounts) -> MartTruth:
    truth = MartTruth()
    for dialog_id, raw in finished(accounts.aiokk.truth()).items():
        call = raw["call"]
        truth.calls[f"aiokk:{dialog_id}"] = Call(
            "aiokk", naive_utc(call["date"]), call.get("durationSec"), "analysed",
            number(raw["analytics"].get("price")),
        )  # fmt: skip
        _aiokk(truth, f"aiokk:{dialog_id}", raw["analytics"])
    for call_id, item in accounts.twin24.truth().items():
        _twin24(truth, f"twin24:{call_id}", item)
    for call_id in accounts.alovoice.call_ids():
        _alovoice(truth, call_id, accounts.alovoice.truth(call_id))
    return truth


def _aiokk(truth: MartTruth, key: str, analytics: t.Mapping[str, t.Any]) -> None:
    evaluation = analytics.get("evaluationCriteria") or {}
    if evaluation.get("eCurrentGrade") is not None:
        truth.quality[f"{key}:overall_grade"] = number(evaluation["eCurrentGrade"])
    for name, value in evaluation.items():
        if name.startswith("criterion"):
            n = int(name.removeprefix("criterion"))
            truth.quality[f"{key}:criterion:{n}"] = number(value[f"mark{n}"])
    loyalty = analytics.get("clientLoyalty") or {}
    if loyalty.get("currentGrade") is not None:
        truth.quality[f"{key}:client_loyalty"] = number(loyalty["currentGrade"])
    signals = analytics.get("signals") or {}
    if signals.get("count") is not None:
        truth.quality[f"{key}:signal_words"] = number(signals["count"])
        words = signals.get("mentionedSignals") or None
        truth.signal_words[f"{key}:signal_words"] = words


def _twin24(truth: MartTruth, key: str, item: t.Mapping[str, t.Any]) -> None:
    truth.calls[key] = Call(
        "twin24", naive_utc(item.get("startedAt")), item.get("duration"), item["status"],
        number(item.get("price")),
    )  # fmt: skip
    for position, line in enumerate(item.get("messages") or [], start=1):
        truth.lines[f"{key}:{position}"] = (SPEAKERS[line["author"]], line["text"])
    if (item.get("dialogResults") or "").strip():  # "": no result
        truth.quality[f"{key}:dialog_result"] = None
    nps = (item.get("nps") or "").strip()
    if nps:
        truth.quality[f"{key}:nps"] = float(nps) if nps.isdigit() else None


def _alovoice(truth: MartTruth, call_id: str, answer: t.Mapping[str, t.Any]) -> None:
    key = f"alovoice:{call_id}"
    fragments = expected_fragments(call_id, answer)
    last_end = max((fragment["end_ms"] for fragment in fragments), default=None)
    truth.calls[key] = Call(
        "alovoice", datetime.fromtimestamp(answer["begin_time"], UTC).replace(tzinfo=None),
        None if last_end is None else (last_end + 500) // 1000, "done", None,  # half up, as SQL
    )  # fmt: skip
    for fragment in fragments:
        truth.lines[f"{key}:{fragment['position']}"] = (fragment["direction"], fragment["text"])
    matches: dict[str, int] = {}
    for tag in expected_tags(call_id, answer):
        matches[tag["name"]] = matches.get(tag["name"], 0) + int(tag["matched"])
    for name, count in matches.items():
        truth.quality[f"{key}:rule:{name}"] = float(count)
