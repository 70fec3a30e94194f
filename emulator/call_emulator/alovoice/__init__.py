"""The alovoice AI-analysis API as a test vendor (account.py); gen.py draws its answers."""

from .account import CALL_NOT_FOUND, INVALID_TOKEN, AlovoiceAccount

__all__ = ["CALL_NOT_FOUND", "INVALID_TOKEN", "AlovoiceAccount"]
