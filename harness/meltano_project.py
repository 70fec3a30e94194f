"""This repository's Meltano project (meltano.yml), run the way its users run it.

Shared by `make demo` (tools/demo.py) and the end-to-end tests: three vendor accounts with
realistic content on one loopback emulator, the environment variables that point the project's
extractors at it (Meltano ranks them above meltano.yml), the changes a second run should pick
up, and `meltano` itself, with its state in a system database the caller chooses.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

from call_emulator import AIOKK_PREFIX, ALOVOICE_PREFIX, AiokkAccount, AlovoiceAccount, Emulator
from call_emulator.testing.hermetic import clean_environ, empty_env_file
from call_emulator.twin24 import Twin24Account

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MELTANO = Path(sys.executable).with_name("meltano")
TWIN24_HOSTS = ("iam", "analyse", "cis")
TAPS = ("tap-aiokk", "tap-twin24", "tap-alovoice")
PROJECT_LOCK = PROJECT_ROOT / ".meltano" / "install.lock"
"""Held by each `meltano` command a test runs in this project, so that one runs at a time.
Meltano keeps a plugin's run files in .meltano/run/PLUGIN/ under names two runs share
(state.json), so two runs of one plugin at once read each other's; and `meltano install PLUGIN`
deletes those files, a run's in progress included, even when there is nothing to install."""


@contextlib.contextmanager
def project_lock() -> t.Iterator[None]:
    PROJECT_LOCK.parent.mkdir(exist_ok=True)
    with PROJECT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def meltano(
    *args: str,
    env: t.Mapping[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 900,
    project: Path = PROJECT_ROOT,
    env_file: Path | None = None,
    lock: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `meltano ARGS` in `project`; its output goes to `log` when given.

    Meltano sees only `env` of all TAP_*, TARGET_* and MELTANO_* variables, and `env_file` (by
    default an empty file) in place of the project's .env (call_emulator.testing.hermetic). It
    runs in a session of its own, so that a timeout stops its taps and targets too. In this
    project it holds PROJECT_LOCK (`lock=False`: the caller holds it).
    """
    environment = clean_environ({"MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})})
    with contextlib.ExitStack() as stack:
        if lock and project == PROJECT_ROOT:
            stack.enter_context(project_lock())
        dotenv = env_file or stack.enter_context(empty_env_file())
        command = [str(MELTANO), f"--env-file={dotenv}", *args]
        out = stack.enter_context(log.open("w", encoding="utf-8")) if log else subprocess.PIPE
        process = subprocess.Popen(
            command,
            cwd=project,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT if log else subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()  # reaps it and closes its pipes
            msg = f"meltano {' '.join(args)} took over {timeout:.0f} s and was stopped"
            raise SystemExit(msg) from None
    return subprocess.CompletedProcess(command, process.returncode, stdout or "", stderr or "")


def install(*plugins: str, env: t.Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`meltano install PLUGINS` (every plugin when none is named), never while another
    test's `meltano` runs in this project (PROJECT_LOCK).

    Test modules on parallel workers share the project's .meltano/, and two installs of one
    plugin at once would write into the same virtual environment. Meltano skips a plugin whose
    environment already matches its pip_url, so the second install only costs its start-up.
    """
    with project_lock():
        return meltano("install", *plugins, env=env, lock=False)


def run_all(
    loader: str, env: t.Mapping[str, str], log: Path, then: t.Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """`meltano run` every tap into `loader` in the demo environment, one block per tap, and
    then the blocks `then` (such as dbt-duckdb:build)."""
    blocks = [name for tap in TAPS for name in (tap, loader)]
    return meltano("--environment=demo", "run", *blocks, *then, env=env, log=log)


@dataclass
class Changes:
    """What `Accounts.change` did, for the demo's printout and the tests' expectations."""

    dialogs_finished: list[int]
    dialogs_reanalysed: list[int]
    calls_updated: list[str]
    recordings_added: list[str]

    def describe(self) -> str:
        return (
            f"aiokk: {len(self.dialogs_finished)} analyses finished, "
            f"{len(self.dialogs_reanalysed)} dialogs re-analysed; "
            f"twin24: {len(self.calls_updated)} calls updated; "
            f"alovoice: {len(self.recordings_added)} new recorded calls"
        )


@dataclass
class Accounts:
    """One account per vendor, served together by one emulator."""

    aiokk: AiokkAccount
    twin24: Twin24Account
    alovoice: AlovoiceAccount
    call_ids_file: Path

    @classmethod
    def build(
        cls,
        *,
        dialogs: int,
        calls: int,
        recordings: int,
        call_ids_file: Path,
        secrets: t.Mapping[str, str],
        analysis_seconds: float = 1.0,
        seed: int = 1,
    ) -> Accounts:
        """`secrets` holds `token` (aiokk and alovoice), `email` and `password` (twin24)."""
        accounts = cls(
            aiokk=AiokkAccount(dialogs, seed, secrets["token"]),
            twin24=Twin24Account(calls, seed, email=secrets["email"], password=secrets["password"]),
            alovoice=AlovoiceAccount(
                recordings, secrets["token"], delay_seconds=analysis_seconds, seed=seed
            ),
            call_ids_file=call_ids_file,
        )
        accounts.write_call_ids()
        return accounts

    def mount(self, emulator: Emulator) -> None:
        emulator.mount(AIOKK_PREFIX, self.aiokk)
        for host in TWIN24_HOSTS:
            emulator.mount(f"/twin24/{host}", getattr(self.twin24, host))
        emulator.mount(ALOVOICE_PREFIX, self.alovoice)

    def write_call_ids(self) -> None:
        """The alovoice call list, as a PBX export would leave it for the tap."""
        self.call_ids_file.parent.mkdir(parents=True, exist_ok=True)
        self.call_ids_file.write_text("\n".join(self.alovoice.call_ids()) + "\n")

    def settings(self, emulator: Emulator) -> dict[str, str]:
        """Environment variables pointing every extractor at `emulator` (over meltano.yml)."""
        return {
            "TAP_AIOKK_API_URL": emulator.url_for(AIOKK_PREFIX),
            "TAP_AIOKK_TOKEN": self.aiokk.token,
            "TAP_TWIN24_AUTH_URL": emulator.url_for("/twin24/iam"),
            "TAP_TWIN24_API_URL": emulator.url_for("/twin24/analyse"),
            "TAP_TWIN24_TASKS_URL": emulator.url_for("/twin24/cis"),
            "TAP_TWIN24_EMAIL": self.twin24.email,
            "TAP_TWIN24_PASSWORD": self.twin24.password,
            "TAP_TWIN24_START_DATE": self.twin24.first_moment().isoformat(),
            "TAP_ALOVOICE_API_URL": emulator.url_for(ALOVOICE_PREFIX),
            "TAP_ALOVOICE_TOKEN": self.alovoice.token,
            "TAP_ALOVOICE_CALL_IDS_FILE": str(self.call_ids_file),
        }

    def change(self, share: float = 0.02) -> Changes:
        """What a day brings: analyses finish or are redone, calls move on, new calls come."""
        finished = self.aiokk.finish_pending()
        reanalysed = sorted(self.aiokk.finished_ids())[: max(1, round(share * 1000))]
        self.aiokk.reanalyse(reanalysed)
        updated = self.twin24.update(share)
        added = self.alovoice.add_calls(max(1, round(len(self.alovoice.call_ids()) * share * 5)))
        self.write_call_ids()
        return Changes(finished, reanalysed, updated, added)


def project_copy(folder: Path, venv: Path) -> Path:
    """This project in `folder`/project, as the documents' commands see it: meltano.yml and the
    files it includes (meltano/) copied (a test may change them; Meltano refuses an included
    file that resolves outside the project), the rest of the checkout linked in (the taps'
    pip_url installs `${MELTANO_PROJECT_ROOT}`), `.venv` linked to `venv`, an empty output/ and
    no .env."""
    root = folder / "project"
    root.mkdir()
    own = ("meltano.yml", "meltano", "output")
    for entry in PROJECT_ROOT.iterdir():
        if not entry.name.startswith(".") and entry.name not in own:
            (root / entry.name).symlink_to(entry)
    (root / ".venv").symlink_to(venv)
    shutil.copyfile(PROJECT_ROOT / "meltano.yml", root / "meltano.yml")
    shutil.copytree(PROJECT_ROOT / "meltano", root / "meltano")
    (root / "output").mkdir()
    return root
