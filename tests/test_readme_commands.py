"""The documents' commands run as they stand: taken from their text, not copied into the tests.

The documents are the front page (README.md), the pages of docs/ and the taps' READMEs. The
fenced ```bash and ```cron blocks of docs/this-project.md ("Your own accounts", "Running a tap
by hand", "Scheduling") and of the front page's demo are parsed by section, and each is run by
one test below (a changed command is tested as changed; a new block that no test runs fails
`test_every_block_is_run_by_a_test`). Other modules run the other documents' blocks, through
`document_blocks`; `test_every_block_of_every_document_is_accounted_for` fails on a block in a
place none of them reads. Every subprocess gets the environment without the caller's TAP_*,
TARGET_* and MELTANO_* variables (call_emulator.testing.hermetic), and none reads the
checkout's `.env`: the Meltano commands run in a project folder of their own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import typing as t
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator import Emulator
from call_emulator.testing.aiokk_truth import finished
from call_emulator.testing.hermetic import clean_environ
from harness.meltano_project import PROJECT_ROOT, Accounts, project_copy
from tests.test_meltano_e2e import POSTGRES, SECRETS, drop_role, postgres_connection
from tools import meltano_files

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
THIS_PROJECT = DOCS / "this-project.md"
RUSSIAN = DOCS / "ru.md"
DEMO = "The demo: three taps into DuckDB, no vendor account"
OWN_ACCOUNTS, BY_HAND, SCHEDULING = "Your own accounts", "Running a tap by hand", "Scheduling"
TAP_READMES = tuple(
    PROJECT_ROOT / tap / "README.md" for tap in ("tap_aiokk", "tap_twin24", "tap_alovoice")
)
# Where each command block of the documents is (document, section) and what runs it. A block
# anywhere else fails test_every_block_of_every_document_is_accounted_for.
RUN_BY = {
    ("README.md", DEMO): "tests/test_meltano_e2e.py, the demo at a smaller scale",
    ("README.md", "In a project of your own"): "tests/test_own_project.py, every block",
    ("docs/this-project.md", OWN_ACCOUNTS): "tests/test_readme_commands.py",
    ("docs/this-project.md", BY_HAND): "tests/test_readme_commands.py",
    ("docs/this-project.md", SCHEDULING): "tests/test_readme_commands.py",
    ("docs/ru.md", "По-русски"): "tests/test_readme_commands.py: commands of Your own accounts",
    ("docs/call-model.md", "Running it"): "tests/test_call_model_definitions.py",
    ("docs/scaling-out.md", "Running them"): "tests/test_meltano_shards.py, both blocks",
    ("docs/scaling-out.md", "Shared state"): "tests/test_meltano_shards.py sets its own URI",
    ("docs/scaling-out.md", "With a scheduler"): "tests/test_dagster_example.py, the same jobs",
    ("docs/performance.md", "Performance"): "`make bench-pipeline`: a benchmark, not a test",
}
THIS_CHECKOUT = "/path/to/this/checkout"
MAIN_STREAM = {"tap-aiokk": "dialogs", "tap-twin24": "calls", "tap-alovoice": "analyses"}


@dataclass(frozen=True)
class Block:
    """A fenced code block of a document, with the headings it sits under."""

    section: str
    """The `##` heading, without the hashes (a page's `#` title before its first one)."""
    subsection: str
    """The `###` heading, or "" before the section's first one."""
    lang: str
    text: str

    def commands(self) -> list[str]:
        """Its lines that are not comments, with backslash continuations joined."""
        joined = re.sub(r"\\\n\s*", "", self.text)
        return [line for line in joined.splitlines() if line.strip() and line[0] != "#"]


def readme_blocks(markdown: str) -> list[Block]:
    """Every fenced block, in order; a heading inside a block is not a heading."""
    blocks: list[Block] = []
    section = subsection = ""
    fence: tuple[str, list[str]] | None = None
    for line in markdown.splitlines():
        if fence is not None:
            if line.startswith("```"):
                blocks.append(Block(section, subsection, fence[0], "\n".join(fence[1]) + "\n"))
                fence = None
            else:
                fence[1].append(line)
        elif line.startswith("```"):
            fence = (line.removeprefix("```").strip(), [])
        elif line.startswith("# "):
            section, subsection = line.removeprefix("# ").strip(), ""
        elif line.startswith("## "):
            section, subsection = line.removeprefix("## ").strip(), ""
        elif line.startswith("### "):
            subsection = line.removeprefix("### ").strip()
    assert fence is None, "the README ends inside a fenced block"
    return blocks


def documents() -> list[Path]:
    """The front page, the pages of docs/ and the taps' READMEs."""
    return [README, *sorted(DOCS.glob("*.md")), *TAP_READMES]


def document_blocks(document: Path) -> list[Block]:
    """Every fenced block of a document, in order."""
    return readme_blocks(document.read_text(encoding="utf-8"))


def blocks_of(
    section: str, subsection: str | None = None, document: Path = THIS_PROJECT
) -> list[Block]:
    found = [
        block
        for block in document_blocks(document)
        if block.section == section
        and (subsection is None or block.subsection == subsection)
        and block.lang in ("bash", "cron")
    ]
    where = document.relative_to(PROJECT_ROOT)
    assert found, f"no ```bash or ```cron block under {section!r} {subsection or ''} in {where}"
    return found


def is_env_file(block: Block) -> bool:
    return block.text.startswith("# .env")


def env_file_block() -> Block:
    (block,) = [b for b in blocks_of(OWN_ACCOUNTS) if is_env_file(b)]
    return block


def meltano_commands() -> list[str]:
    """The commands of "Your own accounts" run in this project (not in your own)."""
    return [
        command
        for block in blocks_of(OWN_ACCOUNTS)
        if not is_env_file(block)
        for command in block.commands()
    ]


def by_hand_block() -> Block:
    (block,) = blocks_of(BY_HAND)
    return block


def cron_block() -> Block:
    (block,) = [b for b in blocks_of(SCHEDULING) if b.lang == "cron"]
    return block


def run_bash(
    script: str, cwd: Path, env: t.Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`bash -c script` in a session of its own, with no terminal and nothing on stdin (so a
    prompt fails instead of waiting); whatever it started is killed when it overruns."""
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"over {timeout:.0f} s: {script}\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(script, process.returncode, stdout, stderr)


def session_members(session: int) -> list[int]:
    """Live processes of a session (zombies, which have ended, are left out)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def port_is_free(port: int) -> bool:
    """Whether the emulator could listen on 127.0.0.1:port (it sets SO_REUSEADDR too)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def messages(path: Path) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def checkout_venv() -> Path:
    venv = PROJECT_ROOT / ".venv"
    if not (venv / "bin" / "meltano").exists():
        pytest.skip(f"the README's commands run .venv/bin/...: no {venv}/bin/meltano (make .venv)")
    return venv


def test_every_block_is_run_by_a_test() -> None:
    """The blocks of docs/this-project.md, the front page's demo and the Russian summary are all
    claimed below; meltano is .venv's there.

    `make demo` is run, at a smaller scale, by the end-to-end test of the demo
    (tests/test_meltano_e2e.py); a full demo takes a minute and a half. The Russian summary's
    commands are each one of "Your own accounts".
    """
    this_project = [b for b in document_blocks(THIS_PROJECT) if b.lang in ("bash", "cron")]
    assert {b.section for b in this_project} == {OWN_ACCOUNTS, BY_HAND, SCHEDULING}
    russian = [b for b in document_blocks(RUSSIAN) if b.lang in ("bash", "cron")]
    assert russian, "no block in docs/ru.md"
    blocks = blocks_of(DEMO, document=README) + this_project + russian
    claimed = {b.text for b in (env_file_block(), by_hand_block())}
    claimed |= {cron_block().text, "make demo\n"}
    commands = meltano_commands()
    for block in blocks:
        if block.text in claimed:
            continue
        assert all(c in commands for c in block.commands()), f"no test runs:\n{block.text}"
    for block in blocks:
        if is_env_file(block):
            continue
        for command in block.commands():
            calls = re.findall(r"(?:^|[\s;&|(])(\S*meltano)\s", command)
            assert all(call == ".venv/bin/meltano" for call in calls), command
            assert "state clear" not in command or "--force" in command, command


def test_every_block_of_every_document_is_accounted_for() -> None:
    """Each command block of the documents sits where a test reads it (or where RUN_BY says why
    none runs it): a block moved to another page or section fails here, not in silence."""
    for document in documents():
        name = str(document.relative_to(PROJECT_ROOT))
        for block in document_blocks(document):
            if block.lang not in ("bash", "sh", "shell", "cron", ""):
                continue
            where = (name, block.section)
            assert where in RUN_BY, f"no test reads this block of {where}:\n{block.text}"


def test_running_a_tap_by_hand(tmp_path: Path, checkout_venv: Path) -> None:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
    """The block runs as a bash script from the checkout, which its `.venv/bin/...` and
    `call-emulator` need, with these substitutions only:

    - `/tmp/` becomes this test's temporary folder, where the configs and outputs go;
    - the emulator's port (8080) becomes a free one, everywhere in the block, but only when
      something already listens on it;
    - `make .venv` runs in question mode (MAKEFLAGS=q): it reports whether .venv is up to date
      and changes nothing, so a stale .venv is not reinstalled under the running tests.

    Each tap must have written RECORD messages of its main stream to its output file, tap-alovoice
    a done analysis of every call in the emulator's call list, and `kill %1` must have stopped
    the emulator.
    """
    block = by_hand_block().text
    (readme_port,) = set(re.findall(r"--port (\d+)", block))
    port = int(readme_port) if port_is_free(int(readme_port)) else free_port()
    script = re.sub(rf"\b{readme_port}\b", str(port), block.replace("/tmp/", f"{tmp_path}/"))
    outputs = dict(re.findall(r"\.venv/bin/(tap-[\w-]+) --config \S+ > (\S+)", script))
    assert set(outputs) == set(MAIN_STREAM), script
    (ids_file,) = re.findall(r"--alovoice-call-ids-file (\S+)", script)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    # Files, not pipes: a pipe would stay open as long as the emulator, which must not outlive
    # the script; its session shows whether it did.
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=PROJECT_ROOT,
            env=clean_environ({"MAKEFLAGS": "q"}),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        process.wait(timeout=240)
        deadline = time.monotonic() + 10  # the emulator stops within half a second of SIGTERM
        while session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = session_members(process.pid)
    finally:
        if process.poll() is None or session_members(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stdout_text = out.read_text(encoding="utf-8")
    assert process.returncode == 0, err.read_text(encoding="utf-8")[-3000:]
    assert f"aiokk emulator: http://127.0.0.1:{port}/aiokk" in stdout_text, stdout_text
    assert not left, f"still running after `kill %1`: {left}"
    assert port_is_free(port), f"something still listens on {port}"
    for tap, stream in MAIN_STREAM.items():
        lines = messages(Path(outputs[tap]))
        records = [m["record"] for m in lines if m["type"] == "RECORD" and m["stream"] == stream]
        assert records, f"{tap}: no {stream} records"
        if tap == "tap-alovoice":
            done = {record["call_id"] for record in records if record["status"] == "done"}
            calls = set(Path(ids_file).read_text(encoding="utf-8").split())
            assert calls and done == calls, f"{len(done)} of {len(calls)} calls done"


@pytest.fixture
def project(tmp_path: Path, checkout_venv: Path) -> Path:
    return project_copy(tmp_path, checkout_venv)


def state_ids(listing: subprocess.CompletedProcess[str]) -> set[str]:
    assert listing.returncode == 0, listing.stderr[-3000:]
    return set(re.findall(r"^\S+:\S+-to-\S+$", listing.stdout, re.MULTILINE))


@pytest.mark.slow  # Meltano installs and runs the project
def test_your_own_accounts_and_the_cron_line(project: Path, tmp_path: Path) -> None:
    """The Meltano commands of "2. Your own accounts" and the cron line, in order of use:
    config test, run, the cron line's job, state list, state clear, state list.

    They run in `project` (a copy of meltano.yml) as written, from bash, with the `prod`
    environment pointed at the emulator and at the test's Postgres. The values the README's
    `.env` block names come from a `.env` written from that block (so a misnamed variable
    fails); the rest (the emulator's twin24 and alovoice URLs, the Postgres port, and a schema
    of the test's own instead of one per tap, which another run could share) come from the
    environment. The cron line runs without its schedule, with its `cd` into `project`.
    """
    connection = postgres_connection()
    role = f"readme_{uuid.uuid4().hex[:10]}"
    connection.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        connection.execute(f'GRANT CREATE ON DATABASE "{POSTGRES["dbname"]}" TO "{role}"')
        own_accounts_and_cron(project, tmp_path, connection, role)
    finally:
        drop_role(connection, role)


def own_accounts_and_cron(project: Path, tmp_path: Path, connection: t.Any, role: str) -> None:
    commands = meltano_commands()

    def command(words: str) -> str:
        (found,) = [c for c in commands if f" {words} " in f"{c} "]
        return found

    config_test, run, listing, clear = map(command, ("config test", "run", "state list", "clear"))
    assert sorted(commands) == sorted((config_test, run, listing, clear)), "untested commands"
    environment, _, tap, loader = re.findall(r"--environment=(\S+) (run) (\S+) (\S+)", run)[0]
    pipeline = f"{environment}:{tap}-to-{loader}"
    assert clear.split()[-1] == pipeline, f"{clear} does not clear what {run} ran"
    (cron,) = cron_block().commands()
    cron = cron.split(maxsplit=5)[5]
    (folder,) = re.findall(r"^cd (\S+) && ", cron)
    cron = cron.replace(f"cd {folder} && ", f"cd {project} && ", 1)
    (log,) = re.findall(r">> (\S+) 2>&1$", cron)

    accounts = Accounts.build(
        dialogs=200,
        calls=300,
        recordings=10,
        call_ids_file=tmp_path / "call_ids.txt",
        secrets=SECRETS,
        analysis_seconds=0.2,
    )
    with Emulator() as emulator:
        accounts.mount(emulator)
        values = accounts.settings(emulator) | {
            "TARGET_POSTGRES_HOST": POSTGRES["host"],
            "TARGET_POSTGRES_PORT": POSTGRES["port"],
            "TARGET_POSTGRES_USER": role,
            "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
            "TARGET_POSTGRES_DATABASE": POSTGRES["dbname"],
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": role,
            "TAP_ALOVOICE_POLL_INTERVAL_MS": "200",  # not the default 5 s before the first poll
        }
        names = re.findall(r"^([A-Z_0-9]+)=", env_file_block().text, re.MULTILINE)
        assert names and set(names) <= set(values), f"no test value for {set(names) - set(values)}"
        dotenv = "".join(f"{name}={values[name]}\n" for name in names)
        (project / ".env").write_text(dotenv, encoding="utf-8")
        env = clean_environ({k: v for k, v in values.items() if k not in names})

        def sh(script: str) -> subprocess.CompletedProcess[str]:
            return run_bash(script, project, env)

        tested = sh(config_test)
        assert tested.returncode == 0, tested.stderr[-3000:]
        assert "Plugin configuration is valid" in tested.stdout + tested.stderr
        loaded = sh(run)
        assert loaded.returncode == 0, loaded.stderr[-4000:]
        assert count(connection, role, "calls") == 300

        scheduled = run_bash(cron, tmp_path, env)
        text = (project / log).read_text(encoding="utf-8")
        assert scheduled.returncode == 0, text[-4000:]
    pipelines = {f"{environment}:{name}-to-{loader}" for name in MAIN_STREAM}
    assert all(f"Running job with name '{p}'" in text for p in pipelines), text[-4000:]
    assert text.rstrip().endswith("Run completed"), text[-4000:]
    assert count(connection, role, "dialogs") == len(finished(accounts.aiokk.truth()))
    assert count(connection, role, "analyses", "status = 'done'") == 10
    assert pipelines <= state_ids(sh(listing))

    cleared = sh(clear)
    assert cleared.returncode == 0, cleared.stderr[-3000:]
    assert state_ids(sh(listing)) & pipelines == pipelines - {pipeline}


def count(connection: t.Any, schema: str, table: str, where: str = "true") -> int:
    row = connection.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE {where}').fetchone()
    return int(row[0])


def prod_config() -> dict[str, set[str]]:
    """The settings meltano.yml's prod environment gives each extractor, and the split
    settings of each shard (an inherited extractor's own config), by the parent's name."""
    project = meltano_files.project()
    (prod,) = [e for e in project["environments"] if e["name"] == "prod"]
    given = {
        plugin["name"]: set(plugin.get("config") or {})
        for plugin in prod["config"]["plugins"]["extractors"]
    }
    split: dict[str, set[str]] = {}
    for plugin in project["plugins"]["extractors"]:
        if "inherit_from" in plugin:
            split.setdefault(plugin["inherit_from"], set()).update(plugin.get("config") or {})
    return {"prod": set(), **{f"prod {k}": v for k, v in given.items()}} | {
        f"split {k}": v for k, v in split.items()
    }


def test_the_env_sample_is_complete_and_sets_no_shards_setting() -> None:
    """Quick start's `.env`, with the prod environment's values, gives each tap one group of
    its required settings (twin24's start_date included: without it the first run fails), and
    sets no setting a shard splits on under the parent's name ("Scaling out": with it, every
    shard would read the whole list)."""
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", env_file_block().text, re.MULTILINE))
    config = prod_config()
    for tap in MAIN_STREAM:
        prefix = tap.upper().replace("-", "_") + "_"
        given = {n.removeprefix(prefix).lower() for n in names if n.startswith(prefix)}
        given |= config.get(f"prod {tap}", set())
        hub = PROJECT_ROOT / tap.replace("-", "_") / "meltano-hub.yml"
        groups = yaml.safe_load(hub.read_text(encoding="utf-8"))["settings_group_validation"]
        assert any(set(group) <= given for group in groups), (tap, sorted(given))
        shard_settings = {prefix + s.upper() for s in config.get(f"split {tap}", set())}
        assert not names & shard_settings, names & shard_settings
