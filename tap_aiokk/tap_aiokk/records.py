"""Turns aiokk's export dialogs into flat, typed warehouse rows.

The export mixes three timestamp conventions: UTC with ``Z``, local time with a short offset
(``+05``) and naive local time. Every timestamp leaves here as RFC 3339 in UTC, because a
target that stores ``timestamp without time zone`` would otherwise land it hours off.

A field of the wrong type is left empty and reported, so one odd value never costs a dialog;
only a dialog without a usable id or finish time is skipped whole.
"""

from __future__ import annotations

import re
import typing as t
from datetime import UTC, datetime, tzinfo

_CRITERION_KEY = re.compile(r"^criterion(\d+)$")


class MalformedDialogError(ValueError):
    """A dialog that cannot be placed at all; it is skipped and the rest go on."""


def parse_timestamp(value: str, naive_tz: tzinfo) -> datetime:
    """Read an ISO 8601 timestamp; one without an offset is read in ``naive_tz``."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=naive_tz)


def to_utc(value: str, naive_tz: tzinfo) -> str:
    """``value`` as RFC 3339 in UTC (raises ``ValueError`` when it is no timestamp)."""
    return parse_timestamp(value, naive_tz).astimezone(UTC).isoformat()


class _Reader:
    """Reads typed fields of one dialog, noting each value it had to leave empty."""

    def __init__(self, naive_tz: tzinfo | None, *, show_values: bool = True) -> None:
        self.naive_tz = naive_tz
        self.show_values = show_values
        self.problems: list[str] = []

    def reject(self, path: str, value: object) -> None:
        self.problems.append(f"{path}: unexpected value {_shown(value, 60, self.show_values)}")

    def section(self, parent: t.Mapping[str, t.Any], key: str) -> t.Mapping[str, t.Any]:
        value = parent.get(key)
        if value is None or isinstance(value, dict):
            return value or {}
        self.reject(key, value)
        return {}

    def integer(self, parent: t.Mapping[str, t.Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        self.reject(path, value)
        return None

    def number(self, parent: t.Mapping[str, t.Any], key: str, path: str) -> float | None:
        value = parent.get(key)
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            self.reject(path, value)
            return None

    def text(self, parent: t.Mapping[str, t.Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self.reject(path, value)
        return None

    def strings(self, parent: t.Mapping[str, t.Any], key: str, path: str) -> list[str]:
        value = parent.get(key)
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        self.reject(path, value)
        return []

    def timestamp(self, parent: t.Mapping[str, t.Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        try:
            return to_utc(str(value), self.naive_tz or UTC)
        except ValueError:
            self.reject(path, value)
            return None


def criteria_list(reader: _Reader, evaluation: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """Replace ``criterion1..N {descriptionN, markN}`` with ``[{number, description, mark}]``."""
    criteria = []
    for key, value in evaluation.items():
        match = _CRITERION_KEY.match(key)
        if not match:
            continue
        if not isinstance(value, dict):
            reader.reject(f"evaluationCriteria.{key}", value)
            continue
        n = int(match.group(1))
        path = f"evaluationCriteria.{key}"
        criteria.append(
            {
                "number": n,
                "description": reader.text(value, f"description{n}", f"{path}.description{n}"),
                "mark": reader.integer(value, f"mark{n}", f"{path}.mark{n}"),
            }
        )
    return sorted(criteria, key=lambda item: item["number"])


def signal_list(reader: _Reader, signals: t.Mapping[str, t.Any]) -> list[str]:
    """Split the one ``", "``-joined string of mentioned signals into its items."""
    mentioned = signals.get("mentionedSignals")
    if isinstance(mentioned, list):
        return reader.strings(signals, "mentionedSignals", "signals.mentionedSignals")
    text = reader.text(signals, "mentionedSignals", "signals.mentionedSignals") or ""
    return [item.strip() for item in text.split(",") if item.strip()]


def _shown(value: object, width: int, show_values: bool) -> str:
    """A bad value as a log line quotes it, or only its type."""
    return f"{value!r:.{width}}" if show_values else f"of type {type(value).__name__}"


def _dialog_id(call: t.Mapping[str, t.Any]) -> int:
    value = call.get("dialogId")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        msg = f"call.dialogId is {value!r:.40}"
        raise MalformedDialogError(msg)
    try:
        return int(value)
    except ValueError:
        msg = f"call.dialogId is {value!r:.40}"
        raise MalformedDialogError(msg) from None


def _local_zone(call: t.Mapping[str, t.Any]) -> tzinfo | None:
    """The offset of ``call.date``: the account's own clock, for its naive timestamps."""
    try:
        return datetime.fromisoformat(str(call.get("date"))).tzinfo
    except ValueError:
        return None


def dialog_record(
    raw: object, naive_tz: tzinfo | None, *, show_values: bool = True
) -> tuple[dict[str, t.Any], list[str]]:
    """Flatten one export dialog into a ``dialogs`` row, and list the values left empty.

    ``naive_tz`` reads timestamps without an offset; ``None`` takes the offset of the dialog's
    own ``call.date``. ``show_values``: whether the problems quote the values (not when they
    may be personal data that ``personal_data`` keeps out).
    """
    if not isinstance(raw, dict):
        msg = f"not a JSON object: {_shown(raw, 40, show_values)}"
        raise MalformedDialogError(msg)
    reader = _Reader(naive_tz, show_values=show_values)
    call = reader.section(raw, "call")
    dialog_id = _dialog_id(call)
    reader.naive_tz = naive_tz or _local_zone(call)
    operator = reader.section(raw, "operator")
    analytics = reader.section(raw, "analytics")
    loyalty = reader.section(analytics, "clientLoyalty")
    evaluation = reader.section(analytics, "evaluationCriteria")
    signals = reader.section(analytics, "signals")
    finished_at = reader.timestamp(analytics, "finishDate", "analytics.finishDate")
    if finished_at is None and analytics.get("finishDate"):
        msg = f"analytics.finishDate is {analytics['finishDate']!r:.40}"
        raise MalformedDialogError(msg)
    record = {
        "dialog_id": dialog_id,
        "created_at": reader.timestamp(call, "created_at", "call.created_at"),
        "call_date": reader.timestamp(call, "date", "call.date"),
        "caller_id": reader.text(call, "callerId", "call.callerId"),
        "caller_id_clean": reader.text(call, "callerIdClean", "call.callerIdClean"),
        "call_type": reader.integer(call, "callType", "call.callType"),
        "duration_sec": reader.integer(call, "durationSec", "call.durationSec"),
        "duration_min": reader.integer(call, "durationMin", "call.durationMin"),
        "operator_id": reader.integer(operator, "operatorId", "operator.operatorId"),
        "operator_name": reader.text(operator, "fullName", "operator.fullName"),
        "operator_extension": reader.integer(operator, "intNum", "operator.intNum"),
        "department_id": reader.text(operator, "departmentId", "operator.departmentId"),
        "department_name": reader.text(operator, "departmentName", "operator.departmentName"),
        "analysis_status": reader.integer(analytics, "status", "analytics.status"),
        "price": reader.number(analytics, "price", "analytics.price"),
        "finished_at": finished_at,
        "summary": reader.text(analytics, "summary", "analytics.summary"),
        "languages": reader.strings(analytics, "languages", "analytics.languages"),
        "client_loyalty_grade": reader.integer(
            loyalty, "currentGrade", "clientLoyalty.currentGrade"
        ),
        "client_loyalty_description": reader.text(
            loyalty, "description", "clientLoyalty.description"
        ),
        "client_loyalty_recommendation": reader.text(
            loyalty, "recommendation", "clientLoyalty.recommendation"
        ),
        "evaluation_id": reader.integer(
            evaluation, "evaluationId", "evaluationCriteria.evaluationId"
        ),
        "evaluation_title": reader.text(
            evaluation, "evaluationTitle", "evaluationCriteria.evaluationTitle"
        ),
        "evaluation_grade": reader.integer(
            evaluation, "eCurrentGrade", "evaluationCriteria.eCurrentGrade"
        ),
        "evaluation_max_grade": reader.integer(
            evaluation, "maxGrade", "evaluationCriteria.maxGrade"
        ),
        "evaluation_recommendation": reader.text(
            evaluation, "evaluationRecommendation", "evaluationCriteria.evaluationRecommendation"
        ),
        "criteria": criteria_list(reader, evaluation),
        "signals_title": reader.text(signals, "signalsTitle", "signals.signalsTitle"),
        "signals_count": reader.integer(signals, "count", "signals.count"),
        "mentioned_signals": signal_list(reader, signals),
        "markers": _markers(reader, analytics),
    }
    return record, reader.problems


def _markers(reader: _Reader, analytics: t.Mapping[str, t.Any]) -> list[t.Any]:
    """``markers`` items are undocumented, so they pass through as they are."""
    value = analytics.get("markers")
    if value is None or isinstance(value, list):
        return value or []
    reader.reject("analytics.markers", value)
    return []


def criterion_rows(dialog: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """One ``dialog_criteria`` row per criterion of a ``dialogs`` row."""
    return [
        {
            "dialog_id": dialog["dialog_id"],
            "evaluation_id": dialog["evaluation_id"],
            "finished_at": dialog["finished_at"],
            **criterion,
        }
        for criterion in dialog["criteria"]
    ]


def signal_rows(dialog: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """One ``dialog_signals`` row per mentioned signal of a ``dialogs`` row."""
    return [
        {
            "dialog_id": dialog["dialog_id"],
            "position": position,
            "signal": signal,
            "signals_title": dialog["signals_title"],
            "finished_at": dialog["finished_at"],
        }
        for position, signal in enumerate(dialog["mentioned_signals"], start=1)
    ]
