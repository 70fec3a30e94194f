"""The taps' secrets filter (the library's) also holds under the SDK's JSON log format.

Meltano turns that format on for taps that declare `structured-logging`; it writes an
exception from the exception object itself, not from the text a filter can mask.
"""

from __future__ import annotations

import logging
import sys

import pytest
from singer_sdk.logging import StructuredFormatter

from singer_tap_kit.redaction import SecretFilter

SECRET = "canary-redaction-token-91e0c4"


def record_with_secret_in_exception() -> logging.LogRecord:
    try:
        raise ConnectionError(f"GET https://host/callgetairesult/{SECRET}/123 failed")
    except ConnectionError:
        exc_info = sys.exc_info()
    return logging.LogRecord("tap", logging.ERROR, __file__, 1, "request failed", None, exc_info)


@pytest.mark.parametrize("formatter", [StructuredFormatter(), logging.Formatter()])
def test_a_secret_in_an_exception_is_masked(formatter: logging.Formatter) -> None:
    record = record_with_secret_in_exception()
    assert SecretFilter([SECRET]).filter(record)
    text = formatter.format(record)
    assert SECRET not in text
    assert "callgetairesult/****/123" in text, "the masked exception must still be shown"
    assert "ConnectionError" in text


def test_an_exception_without_secret_is_left_whole() -> None:
    try:
        raise ValueError("nothing secret here")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("tap", logging.ERROR, __file__, 1, "failed", None, exc_info)
    SecretFilter([SECRET]).filter(record)
    assert record.exc_info is exc_info
    assert "nothing secret here" in StructuredFormatter().format(record)
