"""Keeps secret setting values out of every log line, whoever writes it.

Our own messages never include a secret; this filter is the net under libraries' messages (a
connection error quoting a URL, urllib3's debug log). Secrets are masked as written and in their
URL-encoded form, since a token may sit in a URL path.
"""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import quote, urlsplit

MASK = "****"


class SecretFilter(logging.Filter):
    """Replaces each secret value in a record's formatted message with a mask."""

    def __init__(self, secrets: t.Iterable[str]) -> None:
        super().__init__()
        self.secrets = _longest_first(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info:
            traceback_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(traceback_text, self.secrets)
            if record.exc_text != traceback_text:
                # A formatter that reads the exception itself, like the SDK's JSON one (which
                # Meltano turns on), would print the secret: leave it only the masked text.
                record.exc_info = None
                record.exception_text = record.exc_text
        return True


def redact(text: str, secrets: t.Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (and its URL-encoded form) masked."""
    for secret in _longest_first(secrets):
        text = text.replace(secret, MASK)
    return text


def secret_values(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> list[str]:
    """Every secret setting's value, as written."""
    properties = schema.get("properties", {})
    return [
        str(config[name])
        for name, spec in properties.items()
        if isinstance(spec, dict) and spec.get("secret") and config.get(name)
    ]


def redact_secrets(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> None:
    """Install the filter on every handler of the root logger, where all records end up."""
    secret_filter = SecretFilter(secret_values(config, schema))
    if not secret_filter.secrets:
        return
    for handler in logging.getLogger().handlers:
        installed = [f for f in handler.filters if isinstance(f, SecretFilter)]
        if not any(f.secrets == secret_filter.secrets for f in installed):
            handler.addFilter(secret_filter)


def mask_also(secret: str) -> None:
    """Mask a secret learnt during the run (a token from a login) in every later log line."""
    for handler in logging.getLogger().handlers:
        for installed in handler.filters:
            if isinstance(installed, SecretFilter) and secret not in installed.secrets:
                installed.secrets = _longest_first([*installed.secrets, secret])


def host_of(url: str | None) -> str:
    """``host:port`` of a URL, without the credentials a URL may carry (``user:pw@``)."""
    parts = urlsplit(url or "")
    return f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def _longest_first(secrets: t.Iterable[str]) -> list[str]:
    """Each secret and its URL-encoded form, longest first (a secret inside another one)."""
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
    return sorted(forms, key=len, reverse=True)
