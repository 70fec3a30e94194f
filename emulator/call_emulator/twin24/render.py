"""Builds one synthetic twin24 call in the vendor's exact shape, field order and types.

Rendering happens only when a page is served, from a few stored integers: fields that never change
(ids, phone, region, externalId) hash the call's stable key, the rest (duration, transcript,
price, results) draw from a hash of the key and revision, so the same call gives the same JSON
until it is mutated. A 1000-call page must be served in well under 50 ms, so draws are hash bits,
not a seeded Random, and a call's values are encoded straight to JSON by a fixed encoder per
field (Cyrillic text escaped once, transcripts pre-encoded) instead of json.dumps; the ground
truth's dict is built from the very same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import texts as tx
from .keys import M64, call_stamp, mix64, uuid_text
from .status import CONNECTED, RETRIED, UNFINISHED
from .transcripts import EMPTY, MOST_LINES, POOLS, VARIANTS, Transcript, js

if TYPE_CHECKING:
    from collections.abc import Callable

    from .tasks import Task

RECORDS_URL = "https://minio.twin24.ai/twin-cabinet-prod/public/records/"
FIELDS = (
    "timezone", "additional", "startedAt", "transferredToOperator", "dialogId", "duration",
    "createdAt", "price", "dialogResults", "id", "botId", "recordPath", "updatedAt", "botName",
    "externalId", "responder", "isFinished", "nps", "shortNumber", "phone", "regionId",
    "taskName", "taskId", "linkToLog", "status", "messages", "messagesAsString", "botDuration",
    "operatorDuration",
)  # fmt: skip
"""Every item field, in the served order (the example's, then the two durations it lacks)."""
_KEYS = tuple(f'"{name}":' for name in FIELDS)
_TEMPLATE = "{" + ",".join(f"{key}%s" for key in _KEYS) + "}"


@dataclass(slots=True)
class CallFacts:
    """What is stored (or hashed) per call; everything else is drawn from `draw`.

    Not frozen: a frozen dataclass sets each field through object.__setattr__, 3x slower.
    """

    call_id: str
    key: int
    """A 64-bit hash of the call that never changes: ids and stable fields derive from it."""
    draw: int
    """A 64-bit hash of the call and its revision: everything a mutation may change."""
    created: int
    started: int
    updated: int
    status: str
    task: Task
    phone: str
    region: tuple[int, int]
    company: int


class _Draws:
    """Cheap deterministic draws: 16 bits of a splitmix64 stream each."""

    __slots__ = ("_bits", "_left", "_state")

    def __init__(self, seed: int) -> None:
        self._state, self._bits, self._left = seed, seed, 64  # the seed is already a hash

    def below(self, n: int) -> int:
        """An int in [0, n) for n <= 65536."""
        if self._left < 16:
            self._state = mix64(self._state)
            self._bits, self._left = self._state, 64
        value = self._bits & 0xFFFF
        self._bits >>= 16
        self._left -= 16
        return value * n >> 16

    def chance(self, share: float) -> bool:
        return self.below(1000) < share * 1000


def render_values(f: CallFacts) -> tuple[list[Any], Transcript, list[str]]:
    """The call's value per FIELDS entry (messages: None, see the transcript and its stamps)."""
    draws = _Draws(f.draw)
    connected = f.status in CONNECTED
    human = connected and (f.status == "INPROGRESS" or draws.chance(0.85))
    window = max(0, f.updated - f.started)
    ring = duration = 0
    if connected:
        ring = min(2 + draws.below(24), window // 4)
        talk = 3 + draws.below(238) if human else 2 + draws.below(19)
        duration = max(0, min(talk, window - ring))
    transcript = EMPTY
    if duration > 0:
        kind = f.status.lower() if human else "machine"
        most = MOST_LINES[kind]
        count = draws.below(most + 1) if kind == "machine" else 1 + draws.below(most)
        transcript = POOLS[kind, count][draws.below(VARIANTS)]
    answered = human and f.status == "ANSWERED"
    transferred = answered and duration > 20 and draws.chance(0.12)
    operator = 5 + draws.below(duration // 2 - 4) if transferred else 0
    rate = 8 + draws.below(3)  # kopecks a second
    nps = str(1 + draws.below(10)) if answered and draws.chance(0.3) else None
    stable = f.key
    other = ((stable << 29 | stable >> 35) & M64) ^ 0x9E3779B97F4A7C15
    started = call_stamp(f.started)
    day = f"{started[:4]}/{started[5:7]}/{started[8:10]}"
    task = f.task
    values = [
        f.region[1],
        tx.ADDITIONAL[stable % len(tx.ADDITIONAL)],
        started,
        transferred,
        uuid_text(stable, other),
        duration,
        call_stamp(f.created),
        f"{duration * rate / 100:.2f}",
        _results(draws, f.status, human, transferred),
        f.call_id,
        task.bot_id,
        f"{RECORDS_URL}/{f.company}/{day}/{f.call_id}.mp3",
        call_stamp(f.updated),
        task.bot_name,
        f"crm-{other % 10**7:07d}" if stable % 10 < 3 else None,
        None if not connected else ("Human" if human else "AnsweringMachine"),
        _finished(draws, f.status, connected and not human),
        nps,
        None,
        f.phone,
        f.region[0],
        task.name,
        task.id,
        f"/{uuid_text(other, stable ^ other)}/general.log",
        f.status,
        None,
        transcript.as_string,
        duration - operator,
        operator,
    ]
    return values, transcript, transcript.stamps(f.started + ring, duration)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _quoted(text: str) -> str:
    """Only for text known to hold no quote, backslash or control character (ids, stamps)."""
    return f'"{text}"'


def _quoted_or_null(text: str | None) -> str:
    return "null" if text is None else f'"{text}"'


_ENCODE: dict[type | str, Callable[[Any], str]] = {
    int: str,
    bool: _bool,
    "safe": _quoted,
    "safe?": _quoted_or_null,
    "text": js,
}
_ENCODERS = tuple(
    _ENCODE[kind]
    for kind in (
        int, "text", "safe", bool, "safe", int, "safe", "safe", "text", "safe", "text", "safe",
        "safe", "text", "safe?", "safe?", bool, "safe?", "safe?", "safe", int, "text", "text",
        "safe", "safe", "safe?", "text", int, int,
    )
)  # fmt: skip
"""How each field's value becomes JSON, in FIELDS order ("messages" is built apart)."""
_MESSAGES = FIELDS.index("messages")


def render_json(f: CallFacts, wanted: frozenset[str] | None = None) -> str:
    """The call as served: JSON text of all fields, or of the `wanted` ones."""
    values, transcript, stamps = render_values(f)
    fragments = [encode(value) for encode, value in zip(_ENCODERS, values, strict=True)]
    fragments[_MESSAGES] = transcript.messages_json(stamps)
    return item_json(fragments, wanted)


def render_call(f: CallFacts) -> dict[str, Any]:
    """The call as a dict: the same values render_json encodes."""
    values, transcript, stamps = render_values(f)
    values[_MESSAGES] = transcript.messages(stamps)
    return dict(zip(FIELDS, values, strict=True))


def item_json(fragments: list[str], wanted: frozenset[str] | None = None) -> str:
    """One item as JSON text: all fields, or only the `wanted` ones (in the served order)."""
    if wanted is None:
        return _TEMPLATE % tuple(fragments)
    pairs = [
        key + value
        for name, key, value in zip(FIELDS, _KEYS, fragments, strict=True)
        if name in wanted
    ]
    return "{" + ",".join(pairs) + "}"


def _results(draws: _Draws, status: str, human: bool, transferred: bool) -> str:
    if transferred:
        return tx.TRANSFERRED_RESULT
    if status == "INPROGRESS":
        return "Начало диалога"
    if status != "ANSWERED":
        return ""
    pool = tx.DIALOG_RESULTS if human else tx.MACHINE_RESULTS
    return pool[draws.below(len(pool))]


def _finished(draws: _Draws, status: str, machine: bool) -> bool:
    if status in UNFINISHED:
        return False
    if machine or status in RETRIED:
        return draws.chance(0.5)  # more attempts may follow
    return True
