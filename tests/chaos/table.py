"""The resilience table, as plain text that reads well in a terminal and in a CI log."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .outcome import Outcome

COLUMNS = (
    "tap",
    "scenario",
    "expected",
    "delivered",
    "duplicates",
    "lost",
    "submitted twice",
    "injected",
    "runs",
    "exit",
    "secret leaked",
    "seconds",
    "result",
)


def row(outcome: Outcome) -> tuple[str, ...]:
    double = "-" if outcome.double_submissions is None else str(outcome.double_submissions)
    return (
        outcome.tap,
        outcome.scenario,
        str(outcome.expected),
        str(outcome.delivered),
        str(outcome.duplicates),
        str(outcome.lost),
        double,
        "-" if outcome.injected is None else str(outcome.injected),
        str(outcome.runs),
        str(outcome.exit_code),
        "yes" if outcome.leaked else "no",
        f"{outcome.seconds:.1f}",
        "ok" if outcome.ok else "FAIL: " + "; ".join(outcome.failures),
    )


def render(outcomes: t.Iterable[Outcome]) -> str:
    """A Markdown table, so the same text goes into a terminal, a CI log and docs/reliability.md."""
    rows = [COLUMNS, *(row(outcome) for outcome in outcomes)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(COLUMNS))]

    def line(cells: t.Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule, *(line(cells) for cells in rows[1:])])
