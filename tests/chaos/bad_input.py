"""Bad input for every tap: settings, vendor error bodies, pages, changed shapes, empty
accounts, huge texts and bytes that are not UTF-8, each with the outcome a data engineer expects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import bad_input_aiokk, bad_input_alovoice, bad_input_twin24

if TYPE_CHECKING:
    from .outcome import Scenario


def scenarios(fast: bool) -> list[Scenario]:
    return [
        *bad_input_aiokk.scenarios(fast),
        *bad_input_twin24.scenarios(fast),
        *bad_input_alovoice.scenarios(fast),
    ]
