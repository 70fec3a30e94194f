"""What the call model's marts (transform/) must hold, worked out from the emulator's accounts.

Independent of the model's SQL: it reads the raw answers the emulator serves now, so a stale
transcript line or criterion left in a loader's table by an earlier version shows up as a row
the truth does not have.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from tests.helpers.aiokk_truth import finished
from tests.helpers.alovoice_support import expected_fragments, expected_tags

if t.TYPE_CHECKING:
    from tests.helpers.meltano_project import Accounts

SPEAKERS = {"robot": "robot", "user": "client"}
"""twin24's message authors, as the model names the speaker."""
Value = float | None


@dataclass
class MartTruth:
    calls: dict[str, str] = field(default_factory=dict)
    """call_key -> vendor."""
    lines: dict[str, str] = field(default_factory=dict)
    """line_key -> speaker."""
    quality: dict[str, Value] = field(default_factory=dict)
    """quality_key -> value."""
    signal_words: dict[str, str | None] = field(default_factory=dict)
    """quality_key of each signal_words row -> the words, joined by ", " (None: no word)."""


def number(value: t.Any) -> Value:
    return None if value is None else float(value)


def mart_truth(accounts: Accounts) -> MartTruth:
    truth = MartTruth()
    for dialog_id, raw in finished(accounts.aiokk.truth()).items():
        _aiokk(truth, f"aiokk:{dialog_id}", raw["analytics"])
    for call_id, item in accounts.twin24.truth().items():
        _twin24(truth, f"twin24:{call_id}", item)
    for call_id in accounts.alovoice.call_ids():
        _alovoice(truth, call_id, accounts.alovoice.truth(call_id))
    return truth


def _aiokk(truth: MartTruth, key: str, analytics: t.Mapping[str, t.Any]) -> None:
    truth.calls[key] = "aiokk"
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
    truth.calls[key] = "twin24"
    for position, line in enumerate(item.get("messages") or [], start=1):
        truth.lines[f"{key}:{position}"] = SPEAKERS[line["author"]]
    if (item.get("dialogResults") or "").strip():  # "": no result
        truth.quality[f"{key}:dialog_result"] = None
    nps = (item.get("nps") or "").strip()
    if nps:
        truth.quality[f"{key}:nps"] = float(nps) if nps.isdigit() else None


def _alovoice(truth: MartTruth, call_id: str, answer: t.Mapping[str, t.Any]) -> None:
    key = f"alovoice:{call_id}"
    truth.calls[key] = "alovoice"
    for fragment in expected_fragments(call_id, answer):
        truth.lines[f"{key}:{fragment['position']}"] = fragment["direction"]
    matches: dict[str, int] = {}
    for tag in expected_tags(call_id, answer):
        matches[tag["name"]] = matches.get(tag["name"], 0) + int(tag["matched"])
    for name, count in matches.items():
        truth.quality[f"{key}:rule:{name}"] = float(count)
