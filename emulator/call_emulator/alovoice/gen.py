"""Deterministic synthetic alovoice analysis results: transcripts and rule tags.

A result is a pure function of the account seed and the call id, so tests can ask for the
exact answer a call gets without the tap's help. Transcripts mix Uzbek and Russian like the
vendor's example, and tags follow its rules: a rule that did not match has an empty `value`
and no position; a rule can match the same fragment twice with different `match_text`.
"""

# ruff: noqa: RUF001  (Cyrillic letters are intended here, not Latin look-alikes)

from __future__ import annotations

import hashlib
import random
from typing import Any

GREETINGS = ("assalomu alaykum", "Здравствуйте, вас слушают", "assalomu alaykum, eshitaman")
FAREWELLS = ("salomat bo'ling", "До свидания, всего доброго", "rahmat, salomat bo'ling")
OPERATOR_LINES = (
    "qanday yordam bera olaman?",
    "Уточните, пожалуйста, номер заказа",
    "buyurtmangiz ertaga yetkaziladi",
    "Стоимость доставки — двадцать тысяч сум",
    "narxi o'zgarmagan",
    "Я вас соединю с отделом продаж",
    "bir daqiqa kuting, iltimos",
)
CLIENT_LINES = (
    "buyurtma qachon keladi?",
    "Скажите, а цена изменилась?",
    "men kecha qo'ng'iroq qilgandim",
    "Хорошо, спасибо",
    "manzilni o'zgartirmoqchiman",
    "yaxshi, tushundim",
    "А можно оплатить картой?",
)
# (name, value when matched, phrases that match it); names as the vendor's page spells them.
RULES = (
    ("Нет представления компании", "Нет представления компании", ()),
    ("Нет дополнительной информации", "Нет дополнительной информации", ()),
    ("Приветсвие", "Приветствие", ("assalomu alaykum", "здравствуйте")),
    ("Прощание", "Прощание", ("salomat bo'ling", "salomat", "до свидания")),
    ("Цена", "Упоминание цены", ("narxi", "цена", "стоимость")),
    ("Оплата", "Способ оплаты", ("оплатить картой",)),
)
_FIRST_BEGIN_TIME = 1_716_200_000  # May 2024, like the vendor's example


def _hex(rng: random.Random, digits: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(digits))


def _fragment_id_prefix(seed: int, call_id: str) -> str:
    """18 hex digits unique to the call, so fragment ids never collide across calls."""
    return hashlib.sha1(f"{seed}:{call_id}".encode(), usedforsecurity=False).hexdigest()[:18]


def analysis_result(seed: int, call_id: str) -> dict[str, Any]:
    """The full answer of a finished analysis, in the key order of the vendor's example."""
    rng = random.Random(f"alovoice:{seed}:{call_id}")
    begin_time = _FIRST_BEGIN_TIME + rng.randrange(30 * 86_400)
    aicallid = _hex(rng, 24)
    stalk = _transcript(rng, _fragment_id_prefix(seed, call_id))
    return {
        "begin_time": begin_time,
        "aicallid": aicallid,
        "stalk": stalk,
        "tags": rule_tags(stalk),
        "stereoaudio": f"/stereo/{call_id}",
    }


def _transcript(rng: random.Random, id_prefix: str) -> list[dict[str, Any]]:
    count = rng.randint(2, 14)
    lines: list[tuple[str, str]] = []
    lines.append(("operator", rng.choice(GREETINGS)) if rng.random() < 0.85 else ("client", "алло"))
    for index in range(1, count - 1):
        if index % 2:
            lines.append(("client", rng.choice(CLIENT_LINES)))
        else:
            lines.append(("operator", rng.choice(OPERATOR_LINES)))
    if rng.random() < 0.7:
        lines.append(("operator", rng.choice(FAREWELLS)))
    else:
        lines.append(("client", rng.choice(CLIENT_LINES)))
    fragments = []
    clock = rng.randrange(400, 2_000)
    for position, (direction, text) in enumerate(lines):
        begin = clock
        end = begin + rng.randrange(800, 4_000)
        clock = end + rng.randrange(100, 2_500)
        fragments.append(
            {
                "begin": begin,
                "end": end,
                "direction": direction,
                "text": text,
                "fragment_id": f"{id_prefix}{position:06x}",
            }
        )
    return fragments


def rule_tags(stalk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tags for every rule: unmatched rules first, as in the vendor's example, then matches."""
    unmatched: list[dict[str, Any]] = []
    matched: list[dict[str, Any]] = []
    for name, value, phrases in RULES:
        found = []
        for phrase in phrases:
            fragment = next((f for f in stalk if phrase in f["text"].lower()), None)
            if fragment is not None:
                start = fragment["text"].lower().index(phrase)
                found.append((fragment, fragment["text"][start : start + len(phrase)]))
        if not found:
            unmatched.append({"name": name, "value": "", "visible": None, "tag_type": "rule"})
            continue
        for fragment, phrase in found:
            matched.append(
                {
                    "name": name,
                    "value": value,
                    "visible": None,
                    "tag_type": "rule",
                    "begin": fragment["begin"],
                    "end": fragment["end"],
                    "match_text": phrase,
                    "fragment_id": fragment["fragment_id"],
                }
            )
    return unmatched + matched


def acknowledgement(result: dict[str, Any]) -> dict[str, Any]:
    """What a submission, or a result query before the analysis is done, answers."""
    return {
        "begin_time": result.get("begin_time"),
        "aicallid": result.get("aicallid"),
        "stereoaudio": result.get("stereoaudio"),
    }


def call_ids(count: int, seed: int) -> list[str]:
    """PBX-style call ids (`<unix time>.<sequence>`), unique and in call order."""
    rng = random.Random(f"alovoice-ids:{seed}")
    moment = _FIRST_BEGIN_TIME
    ids = []
    for sequence in range(count):
        moment += rng.randrange(1, 90)
        ids.append(f"{moment}.{seed * 100_000 + sequence}")
    return ids
