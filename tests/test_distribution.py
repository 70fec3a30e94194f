"""The distribution as its users get it: built by `uv build`, installed anywhere, added by Meltano.

The wheel and the sdist are built once for the module from this checkout. The wheel is then
installed into a virtual environment of its own (no Meltano, no test tools) whose executables
must run; and a new Meltano project adds each tap from its Hub definition with `meltano add
--from-ref`, the definition's `pip_url` as written (this version's wheel in the project's
folder), installs it and `meltano run`s it into target-jsonl against the emulator, which must
give back every row the emulator served.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import typing as t
import zipfile
from dataclasses import dataclass

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator import Emulator
from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ
from harness.meltano_project import Accounts, meltano
from tools import meltano_files
from tools.plugin_definitions import ROOT, TAPS, Release, hub_path

if t.TYPE_CHECKING:
    from pathlib import Path

# Builds the wheel and the sdist, installs them and runs Meltano: `make test-slow`.
pytestmark = pytest.mark.slow

RELEASE = Release.read()
UV_CANDIDATES = ("uv", str(ROOT / ".tools" / "bin" / "uv"))
# Inside the packages: each tap's Hub definition. Beside them in the sdist: the documents.
SDIST_FILES = ("README.md", "LICENSE", "CHANGELOG.md", "RELEASING.md", "pyproject.toml")
DEV_TOOLS = ("meltano", "pytest", "ruff", "mypy", "yamllint")
SECRETS = {"token": "canary-dist-token-5e1f", "email": "dist@twin24.example", "password": "pw-d1"}
MAIN_STREAM = {"tap-aiokk": "dialogs", "tap-twin24": "calls", "tap-alovoice": "analyses"}


def uv() -> str:
    found = next((shutil.which(name) for name in UV_CANDIDATES if shutil.which(name)), None)
    if found is None:
        pytest.skip("no uv on PATH nor in .tools/bin (`make .venv` installs it there)")
    return found


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """`uv build` of this checkout: one wheel, one sdist."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [uv(), "build", "--quiet", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=NEUTRAL_CWD,
        env=clean_environ(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)


def test_the_wheel_holds_the_taps_definitions_readme_and_license(dist: Dist) -> None:
    assert dist.wheel.name == RELEASE.wheel  # the name the definitions' pip_url gives
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        info = f"{RELEASE.wheel.split('-')[0]}-{RELEASE.version}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        for tap in TAPS:
            member = f"{TAPS[tap].module}/meltano-hub.yml"
            assert wheel.read(member) == hub_path(tap).read_bytes(), member
        assert wheel.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        scripts = wheel.read(f"{info}/entry_points.txt").decode()
    assert f"Version: {RELEASE.version}\n" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    # The README is the long description, whole.
    assert (ROOT / "README.md").read_text(encoding="utf-8").strip() in metadata
    assert {f"{tap} = {TAPS[tap].module}.tap:main" for tap in TAPS} <= set(scripts.splitlines())
    assert not any(name.startswith(("tests/", "tools/", "bench/", "kit/")) for name in names), names


def test_the_sdist_holds_the_definitions_readme_license_and_changelog(dist: Dist) -> None:
    top = f"{RELEASE.wheel.split('-')[0]}-{RELEASE.version}"
    assert dist.sdist.name == f"{top}.tar.gz"
    with tarfile.open(dist.sdist) as sdist:
        names = set(sdist.getnames())

        def read(name: str) -> bytes:
            member = sdist.extractfile(f"{top}/{name}")
            assert member is not None, name
            return member.read()

        for name in SDIST_FILES:
            assert read(name) == (ROOT / name).read_bytes(), name
        for tap in TAPS:
            assert read(f"{TAPS[tap].module}/meltano-hub.yml") == hub_path(tap).read_bytes()
    assert not any(re.match(rf"{top}/(tests|tools|bench|plugins|output)/", n) for n in names)


@pytest.fixture(scope="module")
def clean_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel and its dependencies only."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    env = clean_environ()
    env.pop("VIRTUAL_ENV", None)
    for command in (
        [uv(), "venv", "--quiet", str(venv)],
        [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), dist.wheel],
    ):
        result = subprocess.run(
            [str(word) for word in command],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=NEUTRAL_CWD,
            env=env,
        )
        assert result.returncode == 0, result.stderr[-3000:]
    return venv


def test_the_wheel_installs_without_dev_tools(clean_venv: Path) -> None:
    assert not [tool for tool in DEV_TOOLS if (clean_venv / "bin" / tool).exists()]


@pytest.mark.parametrize("tap", TAPS)
def test_each_installed_executable_tells_about_itself(clean_venv: Path, tap: str) -> None:
    """`--about` of the installed tap: its name, and the version pyproject.toml gives."""
    result = subprocess.run(
        [str(clean_venv / "bin" / tap), "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=NEUTRAL_CWD,
        env=clean_environ(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    about = json.loads(result.stdout)
    assert about["name"] == tap and about["version"] == RELEASE.version, about["version"]
    assert about["settings"]["properties"], "no settings"


def test_the_taps_take_their_version_from_pyproject_alone(dist: Dist, tmp_path: Path) -> None:
    """The sdist with another version in its pyproject.toml, and nothing else changed, builds
    taps that report that version: no tap holds a version of its own."""
    version = f"{RELEASE.version}.post999"
    with tarfile.open(dist.sdist) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count(f'version = "{RELEASE.version}"') == 1
    pyproject.write_text(text.replace(f'version = "{RELEASE.version}"', f'version = "{version}"'))
    venv = tmp_path / "venv"
    for command in (
        [uv(), "venv", "--quiet", str(venv)],
        [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(source)],
    ):
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=600, check=False,
            cwd=NEUTRAL_CWD, env=clean_environ(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
    for tap in TAPS:
        result = subprocess.run(
            [str(venv / "bin" / tap), "--version"], capture_output=True, text=True,
            timeout=120, check=False, cwd=NEUTRAL_CWD, env=clean_environ(),
        )  # fmt: skip
        assert result.stdout.startswith(f"{tap} v{version},"), (result.stdout, result.stderr)


# A new Meltano project that adds the taps from their Hub definitions. -----------------------


def target_jsonl() -> dict[str, t.Any]:
    """This project's target-jsonl, pinned as here (the test's project gets the pins file)."""
    project = meltano_files.project()
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-jsonl"]
    return {key: value for key, value in loader.items() if key != "config"}


@pytest.fixture(scope="module")
def new_project(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`meltano add --from-ref` of each Hub definition with the wheel in the project, then
    `meltano install`."""
    project = tmp_path_factory.mktemp("new-project")
    (project / "meltano.yml").write_text(
        yaml.safe_dump(
            {
                "default_environment": "dev",
                "project_id": "distribution-test",
                "send_anonymous_usage_stats": False,
                "venv": {"backend": "uv"},
                "environments": [{"name": "dev"}],
                "plugins": {"loaders": [target_jsonl()]},
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    pins = project / "plugins" / "loaders" / "target-jsonl.txt"
    pins.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "plugins" / "loaders" / "target-jsonl.txt", pins)
    shutil.copyfile(dist.wheel, project / dist.wheel.name)
    system_db = {"MELTANO_DATABASE_URI": f"sqlite:///{project / 'system.db'}"}
    for tap in TAPS:
        added = meltano(
            "add", tap, "--no-install", f"--from-ref={hub_path(tap)}", env=system_db,
            project=project, timeout=300,
        )  # fmt: skip
        assert added.returncode == 0, (added.stdout + added.stderr)[-3000:]
    installed = meltano("install", env=system_db, project=project, timeout=900)
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-4000:]
    return project


def test_meltano_adds_each_tap_as_its_definition_says(new_project: Path) -> None:
    plugins = yaml.safe_load((new_project / "meltano.yml").read_text(encoding="utf-8"))["plugins"]
    extractors = {entry["name"]: entry for entry in plugins["extractors"]}
    assert set(extractors) == set(TAPS)
    for tap, entry in extractors.items():
        assert entry["pip_url"] == RELEASE.pip_url, entry["pip_url"]
        assert entry["variant"] == RELEASE.variant
        executable = new_project / ".meltano" / "extractors" / tap / "venv" / "bin" / tap
        version = subprocess.run(
            [str(executable), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=clean_environ(),
        )
        assert version.stdout.startswith(f"{tap} v{RELEASE.version},"), version


def test_aiokks_lists_reach_the_catalog_without_items(new_project: Path, tmp_path: Path) -> None:
    """Lists without `items` in the tap's own catalog, with no `schema` extra in the project:
    target-postgres makes each one jsonb, not an array type."""
    dumped = meltano(
        "invoke", "--dump=catalog", "tap-aiokk",
        env={"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}"},
        project=new_project, timeout=300,
    )  # fmt: skip
    assert dumped.returncode == 0, dumped.stderr[-3000:]
    (dialogs,) = [
        s for s in json.loads(dumped.stdout)["streams"] if s["tap_stream_id"] == "dialogs"
    ]
    for name in ("criteria", "markers", "languages", "mentioned_signals"):
        assert dialogs["schema"]["properties"][name] == {
            "type": ["array", "null"],
            "description": dialogs["schema"]["properties"][name]["description"],
        }, name


def test_meltano_runs_each_tap_into_target_jsonl(new_project: Path, tmp_path: Path) -> None:
    """Every tap's main stream lands whole in target-jsonl, each record once."""
    accounts = Accounts.build(
        dialogs=40, calls=60, recordings=3, call_ids_file=tmp_path / "ids.txt",
        secrets=SECRETS, analysis_seconds=0.2,
    )  # fmt: skip
    output = tmp_path / "jsonl"
    with Emulator() as emulator:
        accounts.mount(emulator)
        env = accounts.settings(emulator) | {
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "TARGET_JSONL_DESTINATION_PATH": str(output),
            "TARGET_JSONL_DO_TIMESTAMP_FILE": "false",
            "TAP_ALOVOICE_POLL_INTERVAL_MS": "200",
        }
        blocks = [name for tap in TAPS for name in (tap, "target-jsonl")]
        log = tmp_path / "run.log"
        result = meltano("run", *blocks, env=env, log=log, project=new_project, timeout=600)
    text = log.read_text(encoding="utf-8")
    assert result.returncode == 0, text[-4000:]
    served: dict[str, tuple[str, set[t.Any]]] = {
        "dialogs": ("dialog_id", set(accounts.aiokk.finished_ids())),
        "calls": ("id", set(accounts.twin24.truth())),
        "analyses": ("call_id", set(accounts.alovoice.call_ids())),
    }
    for stream, (key, ids) in served.items():
        assert ids, f"the emulator served no {stream}: this check would prove nothing"
        lines = (output / f"{stream}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        if stream == "analyses":  # a call's analysis is also emitted while it is pending
            records = [record for record in records if record["status"] == "done"]
        assert sorted(record[key] for record in records) == sorted(ids), stream
    assert all(secret not in text for secret in (SECRETS["token"], SECRETS["password"]))
