"""The call model's Meltano utilities, and docs/call-model.md's "Running it" commands, as written.

transform/meltano/ holds the dbt-duckdb and dbt-postgres definitions a project of its own adds
with `meltano add --from-ref`; this project's meltano.yml holds the same entries. Their pins are
transform/requirements/'s. The "Running it" block runs from bash in this project (load Postgres
from the emulator and build the model in one `meltano run`, settings from a `.env` written from
docs/this-project.md's "Your own accounts" block); tests/test_own_project.py runs the model in a
new project (the README's "In a project of your own").
"""

from __future__ import annotations

import json
import re
import subprocess
import typing as t
import uuid

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator import Emulator
from call_emulator.testing.hermetic import clean_environ
from harness.call_model_truth import mart_truth
from harness.meltano_project import PROJECT_ROOT, Accounts, install, project_copy
from tests.test_meltano_e2e import POSTGRES, SECRETS, drop_role, postgres_connection
from tests.test_readme_commands import DOCS, Block, document_blocks, run_bash
from tests.test_readme_commands import env_file_block as own_accounts_env
from tools import meltano_files
from tools.pins import requirements

if t.TYPE_CHECKING:
    from pathlib import Path

TRANSFORM = PROJECT_ROOT / "transform"
UTILITIES = ("dbt-duckdb", "dbt-postgres")
PAGE, RUNNING = DOCS / "call-model.md", "Running it"


def definition(name: str) -> dict[str, t.Any]:
    path = TRANSFORM / "meltano" / f"{name}.yml"
    return t.cast("dict[str, t.Any]", yaml.safe_load(path.read_text(encoding="utf-8")))


def declared() -> dict[str, dict[str, t.Any]]:
    return meltano_files.plugins("utilities")


@pytest.mark.parametrize("name", UTILITIES)
def test_meltano_yml_holds_the_definition_a_project_of_its_own_adds(name: str) -> None:
    assert declared()[name] == definition(name)


@pytest.mark.parametrize("name", UTILITIES)
def test_the_pip_url_pins_every_package_of_the_lock(name: str) -> None:
    """`make lock` compiles transform/requirements/NAME.in into NAME.txt and writes every pin
    of it into the pip_url (tools/pins.py): a project of its own has no copy of the lock."""
    pip_url = definition(name)["pip_url"]
    assert " -c " not in pip_url and "MELTANO_PROJECT_ROOT" not in pip_url, pip_url
    locked = requirements(TRANSFORM / "requirements" / f"{name}.txt")
    assert sorted(pip_url.split()) == sorted(locked), "run `make lock`"
    wanted = requirements(TRANSFORM / "requirements" / f"{name}.in")
    assert pip_url.split()[: len(wanted)] == wanted
    assert any(re.fullmatch(r"dbt-core==1\.11\.\d+", pin) for pin in locked), "dbt-core 1.11.x"


@pytest.mark.parametrize("name", UTILITIES)
def test_the_model_reads_the_settings_meltano_passes(name: str) -> None:
    """Every variable the profiles and sources read is a setting of the utility (by its own
    name, DBT_POSTGRES_HOST, or its `env`), or MELTANO_ENVIRONMENT."""
    adapter = name.removeprefix("dbt-")
    plugin = definition(name)
    exported = {s.get("env") or f"{name.upper().replace('-', '_')}_{s['name'].upper()}"
                for s in plugin["settings"]}  # fmt: skip
    texts = [(TRANSFORM / "profiles" / adapter / "profiles.yml").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (TRANSFORM / "models").rglob("*.yml")]
    read = set(re.findall(r"env_var\('([A-Z_]+)'", "".join(texts)))
    assert read, "no env_var in the profile or the sources"
    assert read - exported == {"MELTANO_ENVIRONMENT"}


def blocks() -> list[Block]:
    """The page's ```bash blocks: all under "Running it"."""
    found = [block for block in document_blocks(PAGE) if block.lang == "bash"]
    assert found and all(b.section == RUNNING for b in found), "no block to run"
    return found


def this_project_block() -> Block:
    (block,) = blocks()
    return block


def test_every_block_of_the_section_is_run_below() -> None:
    """One block: the README's "In a project of your own" runs the model in a project of your
    own (tests/test_own_project.py)."""
    assert len(blocks()) == 1


@pytest.fixture
def project(tmp_path: Path) -> Path:
    venv = PROJECT_ROOT / ".venv"
    if not (venv / "bin" / "meltano").exists():
        pytest.skip(f"the commands run .venv/bin/...: no {venv}/bin/meltano (make .venv)")
    return project_copy(tmp_path, venv)


@pytest.mark.slow  # Meltano loads the three taps into Postgres, then dbt builds the model
def test_loading_and_building_in_one_run(project: Path, tmp_path: Path) -> None:
    """The page's command, in this project, with Your own accounts' .env block: the prod environment
    pointed at the emulator and at a Postgres schema of the test's own (for the loaders and,
    through the *_SCHEMA settings, for the model's sources). dbt-postgres connects with
    target-postgres's settings, as the page says; the marts then hold what the emulator
    served."""
    connection = postgres_connection()
    role = f"model_readme_{uuid.uuid4().hex[:8]}"
    connection.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        connection.execute(f'GRANT CREATE ON DATABASE "{POSTGRES["dbname"]}" TO "{role}"')
        accounts = Accounts.build(
            dialogs=60, calls=80, recordings=4, call_ids_file=tmp_path / "ids.txt",
            secrets=SECRETS, analysis_seconds=0.2,
        )  # fmt: skip
        with Emulator() as emulator:
            accounts.mount(emulator)
            values = accounts.settings(emulator) | {
                "TARGET_POSTGRES_HOST": POSTGRES["host"],
                "TARGET_POSTGRES_PORT": POSTGRES["port"],
                "TARGET_POSTGRES_USER": role,
                "TARGET_POSTGRES_PASSWORD": SECRETS["postgres"],
                "TARGET_POSTGRES_DATABASE": POSTGRES["dbname"],
                "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": role,
                "TAP_AIOKK_TIMEZONE": "Asia/Almaty",
                "TAP_ALOVOICE_POLL_INTERVAL_MS": "200",
                "DBT_POSTGRES_SCHEMA": f"{role}_model",
                "DBT_POSTGRES_AIOKK_SCHEMA": role,
                "DBT_POSTGRES_TWIN24_SCHEMA": role,
                "DBT_POSTGRES_ALOVOICE_SCHEMA": role,
                "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
                "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
                "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            }
            names = re.findall(r"^([A-Z_0-9]+)=", own_accounts_env().text, re.MULTILINE)
            assert names and set(names) <= set(values), set(names) - set(values)
            dotenv = "".join(f"{name}={values[name]}\n" for name in names)
            (project / ".env").write_text(dotenv, encoding="utf-8")
            env = clean_environ({k: v for k, v in values.items() if k not in names})
            result = run_bash(this_project_block().text, project, env, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0", output), output[-3000:]
        for secret in (SECRETS["token"], SECRETS["password"], SECRETS["postgres"]):
            assert secret not in output
        truth = mart_truth(accounts)
        found = connection.execute(f'SELECT call_key FROM "{role}_model".calls').fetchall()
        assert sorted(key for (key,) in found) == sorted(truth.calls)
        (lines,) = connection.execute(
            f'SELECT count(*) FROM "{role}_model".call_transcript_lines'
        ).fetchone()
        assert lines == len(truth.lines)
    finally:
        drop_role(connection, role)


LIST_CLASHES = """
import importlib.metadata, json
from collections import defaultdict
owners = defaultdict(set)
for dist in importlib.metadata.distributions():
    for file in dist.files or ():
        path = str(file)
        if ".dist-info/" in path or path.startswith("..") or "__pycache__" in path:
            continue
        owners[path].add(dist.metadata["Name"].lower())
print(json.dumps({path: sorted(names) for path, names in owners.items() if len(names) > 1}))
"""
NAMESPACE_INITS = {"dbt/__init__.py", "dbt/adapters/__init__.py", "dbt/include/__init__.py"}
"""dbt's namespace package: dbt-core, dbt-adapters and each adapter ship its `__init__.py`
files (dbt-duckdb an empty one), by dbt's design; every other file has one owner."""


@pytest.mark.parametrize("name", UTILITIES)
def test_no_module_is_installed_by_two_distributions_in_the_utility(
    name: str, tmp_path: Path
) -> None:
    """tests/test_installed_modules.py's rule, in the utility's own virtual environment."""
    installed = install(name, env={"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-3000:]
    python = PROJECT_ROOT / ".meltano" / "utilities" / name / "venv" / "bin" / "python"
    listing = subprocess.run(
        [str(python), "-c", LIST_CLASHES], capture_output=True, text=True, check=True, timeout=60
    )
    shared = json.loads(listing.stdout)
    assert set(shared) <= NAMESPACE_INITS, shared
