"""Turns aiokk's export dialogs into flat, typed warehouse rows.

The export mixes three timestamp conventions: UTC with ``Z``, local time with a short offset
(``+05``) and naive local time. Every timestamp leaves here as RFC 3339 in UTC, because a
target that stores ``timestamp without time zone`` would otherwise land it hours off.
"""

from __future__ import annotations

import re
import typing as t
from datetime import UTC, datetime, tzinfo

_CRITERION_KEY = re.compile(r"^criterion(\d+)$")


class MalformedDialogError(ValueError):
    """A dialog that cannot be turned into a row; it is skipped, the rest go on."""


def to_utc(value: str | None, naive_tz: tzinfo) -> str | None:
    """Return ``value`` as RFC 3339 UTC; a value without an offset is read in ``naive_tz``."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        msg = f"unreadable timestamp {value!r}"
        raise MalformedDialogError(msg) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_tz)
    return moment.astimezone(UTC).isoformat()


def is_finished(raw: t.Mapping[str, t.Any]) -> bool:
    """An analysis is finished once it has a finish date; until then it has no evaluation."""
    analytics = raw.get("analytics") or {}
    return bool(analytics.get("finishDate"))


def criteria_list(evaluation: t.Mapping[str, t.Any] | None) -> list[dict[str, t.Any]]:
    """Replace ``criterion1..N {descriptionN, markN}`` with ``[{number, description, mark}]``."""
    criteria = []
    for key, value in (evaluation or {}).items():
        match = _CRITERION_KEY.match(key)
        if not match or not isinstance(value, dict):
            continue
        number = int(match.group(1))
        criteria.append(
            {
                "number": number,
                "description": value.get(f"description{number}"),
                "mark": value.get(f"mark{number}"),
            }
        )
    return sorted(criteria, key=lambda item: item["number"])


def signal_list(mentioned: str | None) -> list[str]:
    """Split the one ``", "``-joined string of mentioned signals into its items."""
    if not mentioned:
        return []
    return [item.strip() for item in mentioned.split(",") if item.strip()]


def dialog_record(raw: t.Mapping[str, t.Any], naive_tz: tzinfo) -> dict[str, t.Any]:
    """Flatten one export dialog into the ``dialogs`` row."""
    call = raw.get("call") or {}
    if call.get("dialogId") is None:
        msg = "dialog without call.dialogId"
        raise MalformedDialogError(msg)
    operator = raw.get("operator") or {}
    analytics = raw.get("analytics") or {}
    loyalty = analytics.get("clientLoyalty") or {}
    evaluation = analytics.get("evaluationCriteria") or {}
    signals = analytics.get("signals") or {}
    department_id = operator.get("departmentId")
    return {
        "dialog_id": call["dialogId"],
        "created_at": to_utc(call.get("created_at"), naive_tz),
        "call_date": to_utc(call.get("date"), naive_tz),
        "caller_id": call.get("callerId"),
        "caller_id_clean": call.get("callerIdClean"),
        "call_type": call.get("callType"),
        "duration_sec": call.get("durationSec"),
        "duration_min": call.get("durationMin"),
        "operator_id": operator.get("operatorId"),
        "operator_name": operator.get("fullName"),
        "operator_extension": operator.get("intNum"),
        "department_id": None if department_id is None else str(department_id),
        "department_name": operator.get("departmentName"),
        "analysis_status": analytics.get("status"),
        "price": analytics.get("price"),
        "finished_at": to_utc(analytics.get("finishDate"), naive_tz),
        "summary": analytics.get("summary"),
        "languages": analytics.get("languages") or [],
        "client_loyalty_grade": loyalty.get("currentGrade"),
        "client_loyalty_description": loyalty.get("description"),
        "client_loyalty_recommendation": loyalty.get("recommendation"),
        "evaluation_id": evaluation.get("evaluationId"),
        "evaluation_title": evaluation.get("evaluationTitle"),
        "evaluation_grade": evaluation.get("eCurrentGrade"),
        "evaluation_max_grade": evaluation.get("maxGrade"),
        "evaluation_recommendation": evaluation.get("evaluationRecommendation"),
        "criteria": criteria_list(evaluation),
        "signals_title": signals.get("signalsTitle"),
        "signals_count": signals.get("count"),
        "mentioned_signals": signal_list(signals.get("mentionedSignals")),
        "markers": analytics.get("markers") or [],
    }


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
