"""Pools of synthetic twin24 transcripts, built once and kept as ready JSON fragments.

A page of 1000 calls holds ~2600 transcript lines; building and JSON-encoding them per request
cost more than the rest of the page. So each variant (robot first, alternating with the user,
like the vendor's example) is encoded at import, and a call only adds its lines' timestamps.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from . import texts as tx
from .keys import message_stamp

VARIANTS = 24
MOST_LINES = {"answered": 12, "inprogress": 6, "machine": 2}
"""Line counts: answered 1-12, in progress 1-6, an answering machine 0-2 (robot only)."""
_ENCODED: dict[str, str] = {}


def js(text: str) -> str:
    """`text` as a JSON string literal, raw UTF-8 (memoized: the pools' strings repeat)."""
    encoded = _ENCODED.get(text)
    if encoded is None:
        encoded = _ENCODED[text] = json.dumps(text, ensure_ascii=False)
    return encoded


@dataclass(frozen=True)
class Transcript:
    lines: tuple[tuple[str, str], ...]
    """(text, author) per line."""
    prefixes: tuple[str, ...]
    """Per line, its JSON object up to the created_at value."""
    as_string: str
    """messagesAsString."""

    def stamps(self, begin: int, duration: int) -> list[str]:
        """created_at per line, spread evenly over [begin, begin + duration)."""
        n = len(self.lines)
        return [message_stamp(begin + duration * k // n) for k in range(n)]

    def messages(self, stamps: list[str]) -> list[dict[str, str]]:
        return [
            {"text": text, "author": author, "created_at": stamp}
            for (text, author), stamp in zip(self.lines, stamps, strict=True)
        ]

    def messages_json(self, stamps: list[str]) -> str:
        """messages(stamps) as JSON text, from the prefixes encoded once."""
        parts = [f'{p}{s}"}}' for p, s in zip(self.prefixes, stamps, strict=True)]
        return "[" + ",".join(parts) + "]"


def _script(rng: random.Random, count: int, closing: bool) -> list[tuple[str, str]]:
    name, company = rng.choice(tx.ROBOT_NAMES), rng.choice(tx.COMPANIES)
    lines = []
    for k in range(count):
        if k % 2:
            lines.append((rng.choice(tx.USER_LINES), "user"))
        elif k == 0:
            lines.append((tx.GREETING, "robot"))
        elif k == 2:
            lines.append((tx.INTRODUCTION.format(name=name, company=company), "robot"))
        elif k == 4:
            lines.append((rng.choice(tx.PURPOSES), "robot"))
        elif k == count - 1 and closing:
            lines.append((rng.choice(tx.CLOSINGS), "robot"))
        else:
            lines.append((rng.choice(tx.FOLLOW_UPS), "robot"))
    return lines


def _transcript(lines: list[tuple[str, str]]) -> Transcript:
    prefixes = tuple(
        f'{{"text":{js(text)},"author":"{author}","created_at":"' for text, author in lines
    )
    as_string = "\n".join(
        ("Робот: " if author == "robot" else "Человек: ") + text for text, author in lines
    )
    js(as_string)  # encode now, once
    return Transcript(tuple(lines), prefixes, as_string)


def _pools() -> dict[tuple[str, int], tuple[Transcript, ...]]:
    rng = random.Random("twin24-transcripts")
    pools: dict[tuple[str, int], tuple[Transcript, ...]] = {}
    for kind, most in MOST_LINES.items():
        for count in range(0 if kind == "machine" else 1, most + 1):
            variants = []
            for _ in range(VARIANTS):
                if kind == "machine":
                    lines = [(tx.GREETING, "robot"), (rng.choice(tx.PURPOSES), "robot")][:count]
                else:
                    lines = _script(rng, count, closing=kind == "answered")
                variants.append(_transcript(lines))
            pools[kind, count] = tuple(variants)
    return pools


POOLS = _pools()
"""Variants per (kind, line count)."""
EMPTY = Transcript((), (), "")
