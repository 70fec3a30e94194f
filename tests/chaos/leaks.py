"""The secrets scan: a canary secret must never show up in anything a run leaves behind."""

from __future__ import annotations

import base64
import typing as t
import urllib.parse
from pathlib import Path


def forms(secret: str) -> set[str]:
    """The ways a secret can be written out: as is, URL-encoded, JSON-escaped, base64."""
    found = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
    }
    return {form for form in found if len(form) >= 6}


def leaked(secrets: t.Iterable[str], *texts: str | Path) -> list[str]:
    """Which of ``secrets`` appear in any of ``texts`` (strings, or files read as bytes)."""
    blobs: list[str] = []
    for text in texts:
        if isinstance(text, Path):
            if text.exists():
                blobs.append(text.read_bytes().decode("utf-8", errors="replace"))
        else:
            blobs.append(text)
    return sorted(s for s in secrets if any(form in blob for form in forms(s) for blob in blobs))
