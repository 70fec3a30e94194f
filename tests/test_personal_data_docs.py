"""The docs of personal_data: each tap's table equals its catalog's marks, and the
`meltano.yml` example names settings the taps have (docs/personal-data.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ
from harness.meltano_project import meltano, project_copy
from tools.personal_data_table import TAPS, block, documents, personal_data_table

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "personal-data.md"


@pytest.mark.parametrize("tap", TAPS)
def test_each_taps_table_is_its_catalogs_marks(tap: str) -> None:
    """`make docs` rewrites the tables; this fails when one has drifted."""
    table = personal_data_table(TAPS[tap])
    blocks = [m[2] for path in documents() for m in block(tap).finditer(path.read_text())]
    assert blocks, f"no document has the {tap} personal data table"
    assert all(found == table for found in blocks), "run `make docs`"
    assert table.count("\n") >= 4, "the table lists the fields"


@pytest.mark.parametrize("tap", TAPS)
def test_the_example_environment_sets_settings_the_tap_has(tap: str) -> None:
    about = subprocess.run(
        [sys.executable, "-m", TAPS[tap], "--about", "--format=json"],
        capture_output=True, text=True, check=True, cwd=NEUTRAL_CWD, env=clean_environ(),
    )  # fmt: skip
    settings = json.loads(about.stdout)["settings"]["properties"]
    yaml_block = re.search(r"```yaml\n(.*?)```", PAGE.read_text(), re.DOTALL)
    assert yaml_block is not None
    (environment,) = yaml.safe_load(yaml_block[1])["environments"]
    extractors = {e["name"]: e["config"] for e in environment["config"]["plugins"]["extractors"]}
    assert extractors[tap] == {"personal_data": "hash"}
    assert "hash" in settings["personal_data"]["enum"]
    env_block = re.search(r"```dotenv\n(.*?)```", PAGE.read_text(), re.DOTALL)
    assert env_block is not None
    variable = f"{tap.replace('-', '_').upper()}_PERSONAL_DATA_KEY="
    assert variable in env_block[1]
    assert settings["personal_data_key"].get("secret") is True


@pytest.mark.slow  # Meltano's start-up, three times
def test_meltano_reads_the_example_environment_and_the_key_from_dotenv(tmp_path: Path) -> None:
    """The page's environment added to this project's meltano.yml, its .env lines with a key:
    Meltano gives every tap personal_data=hash and the key, which the file does not hold."""
    page = PAGE.read_text()
    yaml_block = re.search(r"```yaml\n(.*?)```", page, re.DOTALL)
    env_block = re.search(r"```dotenv\n(.*?)```", page, re.DOTALL)
    assert yaml_block is not None
    assert env_block is not None
    key = "canary-docs-personal-data-key-6a0d93"
    root = project_copy(tmp_path, ROOT / ".venv")
    project = yaml.safe_load((root / "meltano.yml").read_text())
    project["environments"] += yaml.safe_load(yaml_block[1])["environments"]
    (root / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    dotenv = root / ".env"
    dotenv.write_text(env_block[1].replace("=...", f"={key}"))
    env = {"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}"}
    for tap in TAPS:
        result = meltano(
            "--environment=cloud",
            "config",
            "--unsafe",
            "print",
            tap,
            env=env,
            project=root,
            env_file=dotenv,
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        config = json.loads(result.stdout)
        assert config["personal_data"] == "hash"
        assert config["personal_data_key"] == key
    assert key not in (root / "meltano.yml").read_text()
