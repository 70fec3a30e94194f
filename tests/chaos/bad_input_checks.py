"""What the per-tap bad-input modules share: how a scenario changes a tap's settings, and the
checks of what arrived, each given how to find the record in its tap's output.
"""

from __future__ import annotations

import typing as t

from .bad_input_judge import records_of

if t.TYPE_CHECKING:
    from call_emulator.testing.taprun import TapRun

Served = t.TypeVar("Served")
"""What a scenario spoiled, as its tap's vendor served it: a dialog, a call, an answer."""


def configured(config: dict[str, t.Any], change: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    """``config`` with ``change`` applied; a None in ``change`` leaves that setting out."""
    config.update(change or {})
    return {name: value for name, value in config.items() if value is not None}


def record_where(run: TapRun, stream: str, **wanted: t.Any) -> dict[str, t.Any]:
    """The first record of ``stream`` with these values, or {} when none arrived."""
    values = tuple(wanted.values())
    rows = records_of(run, stream)
    return next((r for r in rows if tuple(r[name] for name in wanted) == values), {})


def arrives_with(
    find: t.Callable[[TapRun, Served], t.Mapping[str, t.Any]], **values: t.Any
) -> t.Callable[[TapRun, Served], list[str]]:
    """The spoiled record, as ``find`` finds it, arrives with these values (when it is missing,
    it counts as lost already, so it is not reported again here)."""

    def check(run: TapRun, served: Served) -> list[str]:
        record = find(run, served) or values
        return [
            f"{field} arrived as {record.get(field)!r:.60}, not {value!r:.60}"
            for field, value in values.items()
            if record.get(field) != value
        ]

    return check


def replaced(what: str, text: str | None, tail: str) -> list[str]:
    """The bytes that are not UTF-8 became U+FFFD, and the UTF-8 ``tail`` after them survived
    (a missing text counts as a lost record already)."""
    text = text or "\ufffd" + tail
    if "\ufffd" not in text or not text.endswith(tail):
        return [f"{what} arrived as {text[:50]!r}..."]
    return []
