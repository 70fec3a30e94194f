"""Loopback HTTP emulators of the vendor APIs, for tests, demos and benchmarks of the taps.

Standard library only, so it runs wherever the tests run. Start one Emulator, mount each vendor
under its prefix (aiokk at "/aiokk", alovoice at "/alovoice", twin24's three hosts under
"/twin24"), point the tap at emulator.url_for(prefix).
"""

from .aiokk import AiokkAccount
from .alovoice import AlovoiceAccount
from .core import Emulator
from .faults import ALL_FAULTS, FaultPlan
from .messages import Request, Response, Vendor
from .tally import RequestLog, Tally

AIOKK_PREFIX = "/aiokk"
ALOVOICE_PREFIX = "/alovoice"

__all__ = [
    "AIOKK_PREFIX",
    "ALL_FAULTS",
    "ALOVOICE_PREFIX",
    "AiokkAccount",
    "AlovoiceAccount",
    "Emulator",
    "FaultPlan",
    "Request",
    "RequestLog",
    "Response",
    "Tally",
    "Vendor",
]
