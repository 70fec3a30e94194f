"""twin24 call tasks ("autoCall" campaigns): the catalogue the cis host lists and calls reference.

A tap may read tasks to label or to filter calls, so the synthetic catalogue and the calls must
agree on taskId/taskName/botId/botName; tasks of given items are derived from those items.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import texts as tx
from .keys import js_stamp, moment_of, parse_epoch, uuid_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

TASK_STATUSES = ("active", "paused", "finished")


@dataclass(frozen=True)
class Task:
    id: str
    name: str
    bot_id: str
    bot_name: str
    status: str
    created: int
    updated: int
    weight: float = 1.0
    """How many calls, relatively, belong to this task (synthetic accounts only)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "botId": self.bot_id,
            "status": self.status,
            "createdAt": js_stamp(self.created),
            "updatedAt": js_stamp(self.updated),
        }


def _uuid(rng: random.Random) -> str:
    return uuid_text(rng.getrandbits(64), rng.getrandbits(64))


def build_tasks(seed: int, count: int, start: int) -> tuple[Task, ...]:
    """`count` tasks created in the weeks before `start`, sharing two to five bots."""
    rng = random.Random(f"twin24-tasks:{seed}")
    bots = [(_uuid(rng), name) for name in rng.sample(tx.BOT_NAMES, rng.randint(2, 5))]
    tasks = []
    for k in range(count):
        created = start - rng.randint(1, 30 * 86400)
        day = moment_of(created)
        template = tx.TASK_NAMES[k % len(tx.TASK_NAMES)]
        name = template.format(date=f"{day.day}.{day.month}.{day.year}")
        if k >= len(tx.TASK_NAMES):
            name += f" (волна {k // len(tx.TASK_NAMES) + 1})"
        bot_id, bot_name = bots[k % len(bots)]
        status = TASK_STATUSES[0] if k % 3 == 0 else rng.choice(TASK_STATUSES)
        updated = created + rng.randint(60, 86400)
        tasks.append(
            Task(_uuid(rng), name, bot_id, bot_name, status, created, updated, 1 / (1 + k / 2))
        )
    return tuple(tasks)


def tasks_from_items(items: Iterable[Mapping[str, Any]]) -> tuple[Task, ...]:
    """One task per distinct taskId of these calls, in order of first appearance."""
    seen: dict[str, Task] = {}
    for item in items:
        task_id = item.get("taskId")
        if not isinstance(task_id, str) or task_id in seen:
            continue
        created = parse_epoch(item.get("createdAt")) or 0
        seen[task_id] = Task(
            task_id,
            str(item.get("taskName") or ""),
            str(item.get("botId") or ""),
            str(item.get("botName") or ""),
            "active",
            created,
            created,
        )
    return tuple(seen.values())


def task_from_json(task: Mapping[str, Any]) -> Task:
    """A task given in the cis host's JSON shape (for from_items(tasks=...))."""
    created = parse_epoch(task.get("createdAt")) or 0
    return Task(
        str(task["id"]),
        str(task.get("name", "")),
        str(task.get("botId", "")),
        str(task.get("botName", "")),
        str(task.get("status", "active")),
        created,
        parse_epoch(task.get("updatedAt")) or created,
    )
