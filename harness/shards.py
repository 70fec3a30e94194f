"""The recipe of docs/scaling-out.md, read from meltano.yml and run the way several machines would.

The shards are meltano.yml's inherited extractors (`inherit_from`): the test and the benchmark
take their names, parents, namespaces and the setting each one splits on from there, so the
recipe they run cannot drift from the one the page shows. Only the values of the split (task
ids, department ids, call lists) are the emulated account's, given per shard as environment
variables (`TAP_TWIN24_TASKS_A_TASK_IDS`), as a user would put them in `.env`.

Each shard is started as its own `meltano run SHARD target-postgres` process, in a session of
its own (so that it can be killed with its tap and target, as a machine that dies would be), all
sharing one Meltano system database in Postgres.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from call_emulator.testing.hermetic import clean_environ, empty_env_file
from harness.meltano_project import MELTANO, PROJECT_ROOT, Accounts
from tools import meltano_files

PAGE = PROJECT_ROOT / "docs" / "scaling-out.md"
LOADER = "target-postgres"
# The settings a shard may split its parent's account on, one per shard.
SPLIT_SETTINGS = ("task_ids", "department_ids", "call_ids_file")


@dataclass(frozen=True)
class Shard:
    """One inherited extractor of meltano.yml."""

    name: str
    parent: str
    namespace: str
    config: t.Mapping[str, t.Any]
    select: tuple[str, ...] = ()

    @property
    def split(self) -> str:
        """The one setting (of SPLIT_SETTINGS) this shard's part of the account is given by."""
        found = [name for name in SPLIT_SETTINGS if name in self.config]
        assert len(found) == 1, f"{self.name}: splits on {found}, not on one of {SPLIT_SETTINGS}"
        return found[0]

    def variable(self, setting: str) -> str:
        """The environment variable Meltano reads this shard's `setting` from."""
        return f"{self.name}_{setting}".upper().replace("-", "_")

    def state_id(self, environment: str) -> str:
        return f"{environment}:{self.name}-to-{LOADER}"


def shards(root: Path = PROJECT_ROOT) -> list[Shard]:
    """meltano.yml's shards, in the order they are written there."""
    project = meltano_files.project(root)
    return [
        Shard(
            name=entry["name"],
            parent=entry["inherit_from"],
            namespace=entry.get("namespace", entry["name"].replace("-", "_")),
            config=entry.get("config") or {},
            select=tuple(entry.get("select") or ()),
        )
        for entry in project["plugins"]["extractors"]
        if "inherit_from" in entry
    ]


def account_parts(accounts: Accounts, parent: str) -> list[t.Any]:
    """What a parent's account is split by: its tasks, departments or recorded calls."""
    if parent == "tap-twin24":
        return list(accounts.twin24.task_ids())
    if parent == "tap-aiokk":
        return list(accounts.aiokk.department_ids())
    if parent == "tap-alovoice":
        return list(accounts.alovoice.call_ids())
    raise AssertionError(f"no account for {parent}")


@dataclass
class Split:
    """Which part of the emulated accounts each shard reads."""

    parts: dict[str, list[t.Any]] = field(default_factory=dict)
    """Shard name -> its task ids, department ids or call ids."""
    settings: dict[str, str] = field(default_factory=dict)
    """The environment variables that give each shard its part."""


def split(accounts: Accounts, every: t.Sequence[Shard], workdir: Path) -> Split:
    """Deal each parent's parts out to its shards in turn: disjoint, and none left out."""
    result = Split()
    for parent in dict.fromkeys(shard.parent for shard in every):
        group = [shard for shard in every if shard.parent == parent]
        parts = account_parts(accounts, parent)
        for index, shard in enumerate(group):
            mine = parts[index :: len(group)]
            result.parts[shard.name] = mine
            if shard.split == "call_ids_file":
                path = workdir / f"{shard.name}.txt"
                path.write_text("".join(f"{call_id}\n" for call_id in mine), encoding="utf-8")
                value = str(path)
            else:
                value = json.dumps(mine)
            result.settings[shard.variable(shard.split)] = value
    return result


def refresh_call_lists(accounts: Accounts, every: t.Sequence[Shard], result: Split) -> None:
    """New recorded calls go to the call-list shard that has the fewest (as a PBX would add
    them to one site's export)."""
    known = {call for shard in every for call in result.parts.get(shard.name, [])}
    fresh = [c for c in accounts.alovoice.call_ids() if c not in known]
    lists = [shard for shard in every if shard.split == "call_ids_file"]
    for call_id in fresh:
        target = min(lists, key=lambda shard: len(result.parts[shard.name]))
        result.parts[target.name].append(call_id)
    for shard in lists:
        path = Path(result.settings[shard.variable("call_ids_file")])
        path.write_text("".join(f"{c}\n" for c in result.parts[shard.name]), encoding="utf-8")


@dataclass
class Running:
    """One shard's `meltano run`, in a process group of its own."""

    shard: Shard
    process: subprocess.Popen[bytes]
    log: Path
    started: float

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            self.kill()
            msg = f"{self.shard.name} took over {timeout:.0f} s and was stopped"
            raise SystemExit(msg) from None

    def kill(self) -> None:
        """SIGKILL to meltano, its tap and its target at once: a machine that dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def started(
    every: t.Sequence[Shard],
    env: t.Mapping[str, str],
    logs: Path,
    label: str,
    *,
    environment: str = "demo",
    extra: t.Sequence[str] = (),
    per_shard: t.Mapping[str, t.Mapping[str, str]] | None = None,
) -> t.Iterator[list[Running]]:
    """`meltano run SHARD target-postgres` for every shard at once (`per_shard`: variables for
    one shard's processes only); each is killed on the way out if it still runs."""
    base = {"MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **env}
    runs: list[Running] = []
    with empty_env_file() as dotenv, contextlib.ExitStack() as stack:
        for shard in every:
            log = logs / f"{label}-{shard.name}.log"
            out = stack.enter_context(log.open("wb"))
            command = [
                str(MELTANO),
                f"--env-file={dotenv}",
                f"--environment={environment}",
                "run",
                *extra,
                shard.name,
                LOADER,
            ]
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=clean_environ({**base, **(per_shard or {}).get(shard.name, {})}),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            runs.append(Running(shard, process, log, time.monotonic()))
        try:
            yield runs
        finally:
            for run in runs:
                if run.process.poll() is None:
                    run.kill()


def finish(runs: t.Sequence[Running], timeout: float = 300) -> dict[str, int]:
    """Wait for every run; shard name -> exit code."""
    deadline = time.monotonic() + timeout
    return {run.shard.name: run.wait(deadline - time.monotonic()) for run in runs}


def scaling_out_blocks() -> list[str]:
    """The ```bash blocks of docs/scaling-out.md, in order."""
    return re.findall(r"```bash\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def readme_command(line: str, environment: str, dotenv: Path) -> str:
    """A line of the page as the test runs it: this venv's meltano, the demo environment."""
    return line.replace(".venv/bin/meltano", f"{MELTANO} --env-file={dotenv}").replace(
        "--environment=prod", f"--environment={environment}"
    )


def tables_step(env: t.Mapping[str, str], workdir: Path) -> None:
    """The first block of docs/scaling-out.md, run as a bash script, line by line."""
    block = scaling_out_blocks()[0]
    with empty_env_file() as dotenv:
        script = readme_command(block, "demo", dotenv)
        log = workdir / "tables.log"
        with log.open("w") as out:
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script], cwd=PROJECT_ROOT,
                env=clean_environ({"MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **env}),
                stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False,
            )  # fmt: skip
    assert done.returncode == 0, log.read_text(encoding="utf-8")[-4000:]
