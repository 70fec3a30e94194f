"""The six aiokk export filters: request parameters, their validation, and dialog matching.

Matching works on DialogKeys, the few values a filter looks at. Synthetic dialogs compute them
from a cheap draw without building the whole dialog (a 200,000-dialog account is scanned once per
request); verbatim dialogs take them from the record itself (keys_of). One matcher serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Param:
    """The body field a filter kind takes, its JSON type and its inclusive range if any."""

    name: str
    type: type[int] | type[str]
    low: int | None = None
    high: int | None = None


PARAMS: dict[str, Param] = {
    "department": Param("department_id", int),
    "operator": Param("operator_name", str),
    "call_type": Param("call_type", int, 1, 4),
    "question_pack": Param("qp_id", int),
    "client_loyalty": Param("client_loyalty", int, 1, 10),
    "signals": Param("signal_word", str),
}
"""Filter kind (the last path segment) -> its body parameter."""


class ParamError(ValueError):
    """The request's filter parameter is missing or has the wrong type; answered with 422."""


def validate(kind: str, payload: Mapping[str, Any]) -> int | str:
    """The filter value from the request body, checked strictly against the documented type."""
    param = PARAMS[kind]
    value = payload.get(param.name)
    if value is None or value == "":
        raise ParamError(f"The {param.name} field is required.")
    if param.type is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ParamError(f"The {param.name} field must be an integer.")
        if (
            param.low is not None
            and param.high is not None
            and not param.low <= value <= param.high
        ):
            raise ParamError(
                f"The {param.name} field must be between {param.low} and {param.high}."
            )
    elif not isinstance(value, str):
        raise ParamError(f"The {param.name} field must be a string.")
    return value


@dataclass(frozen=True)
class DialogKeys:
    """What the filters look at in one dialog (None/empty while the analysis is unfinished)."""

    finished: bool
    department: str
    operator: str
    call_type: int | None
    question_pack: int | None
    client_loyalty: int | None
    signals: frozenset[str]


def split_signals(mentioned: str | None) -> frozenset[str]:
    """The items of `mentionedSignals`, which is one string joined by ", "."""
    return frozenset(item for item in (mentioned or "").split(", ") if item)


def keys_of(dialog: Mapping[str, Any]) -> DialogKeys:
    """The filter keys of a dialog as served (tolerates nulls anywhere)."""
    call = dialog.get("call") or {}
    operator = dialog.get("operator") or {}
    analytics = dialog.get("analytics") or {}
    return DialogKeys(
        finished=analytics.get("status") == 3,
        department=str(operator.get("departmentId")),
        operator=str(operator.get("fullName")),
        call_type=call.get("callType"),
        question_pack=(analytics.get("evaluationCriteria") or {}).get("evaluationId"),
        client_loyalty=(analytics.get("clientLoyalty") or {}).get("currentGrade"),
        signals=split_signals((analytics.get("signals") or {}).get("mentionedSignals")),
    )


def matches(kind: str, value: int | str, keys: DialogKeys) -> bool:
    """Whether a dialog with these keys is in the answer to filter `kind` = `value`."""
    if kind == "department":
        return keys.department == str(value)
    if kind == "operator":
        return keys.operator == value
    if kind == "call_type":
        return keys.call_type == value
    if kind == "question_pack":
        return keys.question_pack == value
    if kind == "client_loyalty":
        return keys.client_loyalty == value
    if kind == "signals":
        return value in keys.signals
    raise KeyError(kind)
