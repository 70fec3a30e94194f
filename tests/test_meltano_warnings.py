"""Under `meltano run`, a misspelt setting or variable is named once, and nothing Meltano sets is.

Meltano 4.4.1 starts the tap twice per run (a discovery, then the sync), with a config file and
an environment holding the project's .env, the shell's variables and its own: ``TAP_AIOKK__*``
extras, ``TAP_AIOKK_<SETTING>`` for each setting given a value (an object setting's values one
by one too) and, for an extractor that inherits from tap-aiokk, the same under its own name.
A small project of its own, whose tap-aiokk is this checkout's command and whose loader drops
what it reads, keeps the run to seconds.
"""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from harness.meltano_project import PROJECT_ROOT, meltano

if t.TYPE_CHECKING:
    from call_emulator import Emulator

TAP = Path(sys.executable).with_name("tap-aiokk")


def project(folder: Path, config: dict[str, t.Any]) -> Path:
    """A Meltano project with tap-aiokk as its Hub definition describes it, a shard that
    inherits from it, and a loader that reads and drops the messages."""
    folder.mkdir()
    definition = yaml.safe_load((PROJECT_ROOT / "tap_aiokk" / "meltano-hub.yml").read_text())
    sink = folder / "sink.sh"
    sink.write_text("#!/bin/sh\ncat > /dev/null\n")
    sink.chmod(0o755)
    extractor = {
        "name": "tap-aiokk",
        "namespace": "tap_aiokk",
        "executable": str(TAP),
        "capabilities": definition["capabilities"],
        "settings": definition["settings"],
        "config": config,
    }
    shard = {"name": "tap-aiokk-sales", "inherit_from": "tap-aiokk", "config": {"max_retries": 2}}
    meltano_yml = {
        "default_environment": "dev",
        "environments": [{"name": "dev"}],
        "project_id": "warnings-once",
        "send_anonymous_usage_stats": False,
        "plugins": {
            "extractors": [extractor, shard],
            "loaders": [
                {"name": "target-sink", "namespace": "target_sink", "executable": str(sink)}
            ],
        },
    }
    (folder / "meltano.yml").write_text(json.dumps(meltano_yml))
    return folder


def test_meltano_run_names_a_misspelt_setting_and_variable_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    account = aiokk_account(dialogs=5, seed=5)
    config = mount_aiokk(emulator, account) | {
        "max_retires": 3,  # misspelt in meltano.yml
        "stream_map_config": {"salt": "x"},  # Meltano also sets TAP_AIOKK_STREAM_MAP_CONFIG_SALT
    }
    folder = project(tmp_path / "project", config)
    dotenv = tmp_path / ".env"
    dotenv.write_text("TAP_AIOKK_LOOKBACK_MINUTS=5\n")  # misspelt in .env

    result = meltano("run", "tap-aiokk-sales", "target-sink", project=folder, env_file=dotenv)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    variable = [line for line in output.splitlines() if "is not a setting of" in line]
    assert len(variable) == 1, variable
    assert variable[0].endswith(
        "TAP_AIOKK_LOOKBACK_MINUTS is not a setting of tap-aiokk and is ignored; did you mean "
        "TAP_AIOKK_LOOKBACK_MINUTES (lookback_minutes)?"
    )
    setting = [line for line in output.splitlines() if "unknown setting" in line]
    assert len(setting) == 1, setting
    assert setting[0].endswith(
        "unknown setting 'max_retires' is ignored; did you mean 'max_retries'?"
    )
