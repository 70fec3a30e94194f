"""The distributions as their users get them: built by `uv build`, installed anywhere, added by
Meltano.

`make dist` builds a wheel and an sdist of each member of the workspace: the library
(singer-tap-kit), each tap, the emulator; this module builds them once from this checkout. A tap's
wheel and the library's are then installed into a virtual environment of their own (no Meltano,
no test tools, no other tap) whose executable must run; and a new Meltano project adds each tap
from its Hub definition with `meltano add --from-ref`, the definition's `pip_url` as written (the
tap's and the library's wheels in the project's folder), installs it and `meltano run`s it into
target-jsonl against the emulator, which must give back every row the emulator served.
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
from tools.plugin_definitions import LIBRARY, ROOT, TAPS, Release, hub_path

if t.TYPE_CHECKING:
    from pathlib import Path

# Builds the wheels and the sdists, installs them and runs Meltano: `make test-slow`.
pytestmark = pytest.mark.slow

LIBRARY_RELEASE = Release.read(LIBRARY)
RELEASES = {tap: Release.of(tap) for tap in TAPS}
UV_CANDIDATES = ("uv", str(ROOT / ".tools" / "bin" / "uv"))
# Beside the package in each tap's sdist: the documents and the Hub definition.
SDIST_FILES = ("README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "meltano-hub.yml")
DEV_TOOLS = ("meltano", "pytest", "ruff", "mypy", "yamllint")
SECRETS = {"token": "canary-dist-token-5e1f", "email": "dist@twin24.example", "password": "pw-d1"}
MAIN_STREAM = {"tap-aiokk": "dialogs", "tap-twin24": "calls", "tap-alovoice": "analyses"}


def uv() -> str:
    found = next((shutil.which(name) for name in UV_CANDIDATES if shutil.which(name)), None)
    if found is None:
        pytest.skip("no uv on PATH nor in .tools/bin (`make .venv` installs it there)")
    return found


def run(command: t.Sequence[str | Path], timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = clean_environ()
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(word) for word in command], capture_output=True, text=True, timeout=timeout,
        check=False, cwd=NEUTRAL_CWD, env=env,
    )  # fmt: skip


@dataclass(frozen=True)
class Dist:
    """What `uv build --all-packages` wrote: each distribution's wheel and sdist, by name."""

    wheels: dict[str, Path]
    sdists: dict[str, Path]

    def wheel(self, release: Release) -> Path:
        return self.wheels[release.name]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """`uv build --all-packages` of this checkout, as `make dist` runs it."""
    out = tmp_path_factory.mktemp("dist")
    result = run([uv(), "build", "--quiet", "--all-packages", "--out-dir", out, ROOT], 600)
    assert result.returncode == 0, result.stderr[-3000:]

    def name(path: Path) -> str:
        return re.sub(r"-[0-9][^-]*(-py3-none-any\.whl|\.tar\.gz)$", "", path.name).replace(
            "_", "-"
        )

    return Dist(
        wheels={name(path): path for path in out.glob("*.whl")},
        sdists={name(path): path for path in out.glob("*.tar.gz")},
    )


def test_one_wheel_and_one_sdist_per_member(dist: Dist) -> None:
    expected = {"singer-tap-kit", *TAPS, "call-analytics-emulator"}
    assert set(dist.wheels) == expected
    assert set(dist.sdists) == expected


def _top_levels(names: t.Iterable[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in names if ".dist-info" not in name.split("/", 1)[0]}


@pytest.mark.parametrize("tap", TAPS)
def test_a_taps_wheel_holds_the_tap_its_definition_readme_and_license(dist: Dist, tap: str) -> None:
    release = RELEASES[tap]
    module = TAPS[tap].module
    wheel_path = dist.wheel(release)
    assert wheel_path.name == release.wheel  # the name the definitions' pip_url gives
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
        info = f"{module}-{release.version}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        assert wheel.read(f"{module}/meltano-hub.yml") == hub_path(tap).read_bytes()
        assert wheel.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        scripts = wheel.read(f"{info}/entry_points.txt").decode()
    assert _top_levels(names) == {module}, names  # no other tap, no library copy, no tests
    assert f"Version: {release.version}\n" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    assert (ROOT / module / "README.md").read_text(encoding="utf-8").strip() in metadata
    library = f"Requires-Dist: {LIBRARY_RELEASE.name}<"
    assert any(line.startswith(library) for line in metadata.splitlines()), metadata
    assert [line for line in scripts.splitlines() if " = " in line] == [
        f"{tap} = {module}.tap:main"
    ]


def test_the_librarys_wheel_holds_the_library_only(dist: Dist) -> None:
    wheel_path = dist.wheel(LIBRARY_RELEASE)
    assert wheel_path.name == LIBRARY_RELEASE.wheel
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
    assert _top_levels(names) == {"singer_tap_kit"}, names
    assert not any(name.endswith("entry_points.txt") for name in names)


@pytest.mark.parametrize("tap", TAPS)
def test_a_taps_sdist_holds_its_definition_readme_license_and_changelog(
    dist: Dist, tap: str
) -> None:
    release = RELEASES[tap]
    module = TAPS[tap].module
    top = f"{module}-{release.version}"
    sdist_path = dist.sdists[tap]
    assert sdist_path.name == f"{top}.tar.gz"
    with tarfile.open(sdist_path) as sdist:
        names = set(sdist.getnames())

        def read(name: str) -> bytes:
            member = sdist.extractfile(f"{top}/{name}")
            assert member is not None, name
            return member.read()

        for name in SDIST_FILES:
            assert read(name) == (ROOT / module / name).read_bytes(), name
    assert not any(re.match(rf"{top}/(tests|tools|bench|plugins|output)/", n) for n in names)


def _venv(folder: Path, *requirements: Path) -> Path:
    venv = folder / "venv"
    commands: list[list[str | Path]] = [
        [uv(), "venv", "--quiet", venv],
        [uv(), "pip", "install", "--quiet", "--python", venv / "bin" / "python", *requirements],
    ]
    for command in commands:
        result = run(command)
        assert result.returncode == 0, result.stderr[-3000:]
    return venv


@pytest.fixture(scope="module")
def twin24_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with tap-twin24's wheel, the library's and their dependencies."""
    return _venv(
        tmp_path_factory.mktemp("twin24"),
        dist.wheel(RELEASES["tap-twin24"]),
        dist.wheel(LIBRARY_RELEASE),
    )


def test_a_tap_installs_with_the_library_and_nothing_of_another_tap(twin24_venv: Path) -> None:
    """tap-twin24's wheel and the library's give the tap-twin24 command, and no other tap's
    module or command, and no dev tool."""
    bin_folder = twin24_venv / "bin"
    assert (bin_folder / "tap-twin24").exists()
    assert not [tool for tool in DEV_TOOLS if (bin_folder / tool).exists()]
    assert not [name for name in TAPS if name != "tap-twin24" and (bin_folder / name).exists()]
    found = run(
        [
            bin_folder / "python",
            "-c",
            "import importlib.util as u; "
            "print(*[m for m in ('tap_aiokk', 'tap_twin24', 'tap_alovoice', 'singer_tap_kit', "
            "'call_emulator') if u.find_spec(m)])",
        ]
    )
    assert found.returncode == 0, found.stderr[-3000:]
    assert found.stdout.split() == ["tap_twin24", "singer_tap_kit"]
    about = run([bin_folder / "tap-twin24", "--about", "--format=json"], 120)
    assert about.returncode == 0, about.stderr[-3000:]
    assert json.loads(about.stdout)["version"] == RELEASES["tap-twin24"].version


@pytest.fixture(scope="module")
def clean_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with every tap's wheel, the library's and their dependencies."""
    wheels = [dist.wheel(release) for release in RELEASES.values()]
    return _venv(tmp_path_factory.mktemp("clean"), *wheels, dist.wheel(LIBRARY_RELEASE))


def test_the_wheels_install_without_dev_tools(clean_venv: Path) -> None:
    assert not [tool for tool in DEV_TOOLS if (clean_venv / "bin" / tool).exists()]


@pytest.mark.parametrize("tap", TAPS)
def test_each_installed_executable_tells_about_itself(clean_venv: Path, tap: str) -> None:
    """`--about` of the installed tap: its name, and the version its pyproject.toml gives."""
    result = run([clean_venv / "bin" / tap, "--about", "--format=json"], 120)
    assert result.returncode == 0, result.stderr[-3000:]
    about = json.loads(result.stdout)
    assert about["name"] == tap and about["version"] == RELEASES[tap].version, about["version"]
    assert about["settings"]["properties"], "no settings"


def test_the_taps_take_their_version_from_pyproject_alone(dist: Dist, tmp_path: Path) -> None:
    """Each tap's sdist with another version in its pyproject.toml, and nothing else changed,
    builds a tap that reports that version: no tap holds a version of its own."""
    sources = []
    for tap, release in RELEASES.items():
        version = f"{release.version}.post999"
        with tarfile.open(dist.sdists[tap]) as sdist:
            sdist.extractall(tmp_path / tap, filter="data")
        (source,) = (tmp_path / tap).iterdir()
        pyproject = source / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        assert text.count(f'version = "{release.version}"') == 1
        pyproject.write_text(
            text.replace(f'version = "{release.version}"', f'version = "{version}"')
        )
        sources.append(source)
    venv = _venv(tmp_path, *sources, dist.wheel(LIBRARY_RELEASE))
    for tap, release in RELEASES.items():
        result = run([venv / "bin" / tap, "--version"], 120)
        assert result.stdout.startswith(f"{tap} v{release.version}.post999,"), (
            result.stdout,
            result.stderr,
        )


# A new Meltano project that adds the taps from their Hub definitions. -----------------------


def target_jsonl() -> dict[str, t.Any]:
    """This project's target-jsonl, pinned as here (the test's project gets the pins file)."""
    project = meltano_files.project()
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-jsonl"]
    return {key: value for key, value in loader.items() if key != "config"}


@pytest.fixture(scope="module")
def new_project(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`meltano add --from-ref` of each Hub definition with the taps' and the library's wheels
    in the project, then `meltano install`."""
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
    for wheel in [
        *(dist.wheel(release) for release in RELEASES.values()),
        dist.wheel(LIBRARY_RELEASE),
    ]:
        shutil.copyfile(wheel, project / wheel.name)
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
        release = RELEASES[tap]
        assert entry["pip_url"] == release.pip_url, entry["pip_url"]
        assert entry["variant"] == release.variant
        executable = new_project / ".meltano" / "extractors" / tap / "venv" / "bin" / tap
        version = subprocess.run(
            [str(executable), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=clean_environ(),
        )
        assert version.stdout.startswith(f"{tap} v{release.version},"), version
        venv = executable.parent.parent
        others = [other for other in TAPS if other != tap]
        assert not [other for other in others if (venv / "bin" / other).exists()]
        modules = {path.name for path in venv.glob("lib/python*/site-packages/*")}
        assert {"singer_tap_kit", tap.replace("-", "_")} <= modules
        assert not {other.replace("-", "_") for other in others} & modules, "another tap"


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
