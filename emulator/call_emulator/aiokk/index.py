"""A packed index of the synthetic dialogs' filter facts: 8 bytes a dialog instead of a re-draw.

Every export request scans the whole account. Re-drawing each dialog's head costs ~14 us, which
for 200,000 dialogs and the dozens of filter values of one sync adds minutes; the index is built
once, on first use (1.6 MB for 200,000 dialogs), and turns the scan into integer tests. It must
agree with DialogHead.keys() + filters.matches(), which stay the reference.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

from . import texts as tx

if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterable, Iterator

    from .gen import DialogHead, Operator

_OPERATOR, _CALL_TYPE, _PENDING, _PACK, _LOYALTY, _SIGNALS = 0, 8, 11, 13, 16, 20
_PACK_IDS = [pack[0] for pack in tx.QUESTION_PACKS]
_SIGNAL_BIT = {word: 1 << (_SIGNALS + n) for n, word in enumerate(tx.SIGNAL_WORDS)}


def _field(packed: int, shift: int, bits: int) -> int:
    return packed >> shift & ((1 << bits) - 1)


class HeadIndex:
    """Filter facts of dialogs first_id, first_id + 1, ... packed one unsigned 64-bit int each."""

    def __init__(
        self, first_id: int, heads: Iterable[DialogHead], operators: tuple[Operator, ...]
    ) -> None:
        self.first_id = first_id
        self.operators = operators
        position = {op: n for n, op in enumerate(operators)}
        self._packed = array("Q")
        for head in heads:
            signals = 0
            for word in head.signals:
                signals |= _SIGNAL_BIT[word]
            self._packed.append(
                position[head.operator] << _OPERATOR
                | head.call_type << _CALL_TYPE
                | (head.pending_status or 0) << _PENDING
                | _PACK_IDS.index(head.pack[0]) << _PACK
                | head.loyalty << _LOYALTY
                | signals
            )

    def _test(self, kind: str, value: int | str) -> tuple[Callable[[int], bool], bool]:
        """A test on the packed facts, and whether only finished analyses can match."""
        if kind in ("department", "operator"):
            ops = {
                n
                for n, op in enumerate(self.operators)
                if (
                    op.department_id == str(value)
                    if kind == "department"
                    else op.full_name == value
                )
            }
            return (lambda p: _field(p, _OPERATOR, 8) in ops), False
        if kind == "call_type":
            return (lambda p: _field(p, _CALL_TYPE, 3) == value), False
        if kind == "question_pack":
            pack = _PACK_IDS.index(value) if value in _PACK_IDS else -1
            return (lambda p: _field(p, _PACK, 3) == pack), True
        if kind == "client_loyalty":
            return (lambda p: _field(p, _LOYALTY, 4) == value), True
        if kind == "signals":
            bit = _SIGNAL_BIT.get(str(value), 0)
            return (lambda p: bool(p & bit)), True
        raise KeyError(kind)

    def select(self, kind: str, value: int | str, finished: Container[int]) -> Iterator[int]:
        """Ids matching the filter; `finished` holds the ids whose analysis was finished later."""
        test, finished_only = self._test(kind, value)
        for dialog_id, packed in enumerate(self._packed, start=self.first_id):
            if not test(packed):
                continue
            if finished_only and _field(packed, _PENDING, 2) and dialog_id not in finished:
                continue
            yield dialog_id
