"""The aiokk export API as a test vendor (account.py), with its dialogs synthetic or given.

filters.py holds the six filter endpoints' parameters, gen.py and texts.py draw a dialog,
synth.py and index.py serve a large synthetic account, given.py one built from given dialogs.
"""

from .account import (
    API_DISABLED,
    API_NOT_PAID,
    API_PAYMENT_REQUIRED,
    FILTER_KINDS,
    SERVICE_UNAVAILABLE,
    SERVICE_UNAVAILABLE_HTML,
    TOKEN_NOT_FOUND,
    VENDOR_ERROR_BODIES,
    AiokkAccount,
    ErrorMode,
)

__all__ = [
    "API_DISABLED",
    "API_NOT_PAID",
    "API_PAYMENT_REQUIRED",
    "FILTER_KINDS",
    "SERVICE_UNAVAILABLE",
    "SERVICE_UNAVAILABLE_HTML",
    "TOKEN_NOT_FOUND",
    "VENDOR_ERROR_BODIES",
    "AiokkAccount",
    "ErrorMode",
]
