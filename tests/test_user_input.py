"""What a data engineer gets wrong, each tap answers the same way (issue: one behaviour).

Every tap is run as its users run it, as a process against the emulator: a state or config file
of the wrong shape, a state written by another tap, a misspelt setting, ``--test`` against a
host that does not answer, and every setting given through the environment as text.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass

import pytest

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from call_emulator.testing.alovoice_support import alovoice_account, mount_alovoice
from call_emulator.testing.hermetic import clean_environ
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account
from tap_aiokk.tap import TapAiokk
from tap_alovoice.tap import TapAlovoice
from tap_twin24.tap import TapTwin24

if t.TYPE_CHECKING:
    from pathlib import Path

    from singer_sdk import Tap

    from call_emulator import Emulator

# The discard port: nothing listens there on a test machine. The URL carries credentials, which
# no line may show.
URL_SECRET = "canary-url-password-4e1b"
UNREACHABLE = f"http://someone:{URL_SECRET}@127.0.0.1:9"


@dataclass(frozen=True)
class Subject:
    """A tap with an account on the emulator: its config, first stream and the keys served."""

    module: str
    config: dict[str, t.Any]
    stream: str
    expected: set[t.Any]
    key: str
    other_streams: tuple[str, ...]
    url_settings: tuple[str, ...]

    @property
    def prefix(self) -> str:
        return self.module.upper() + "_"

    def keys(self, run: TapRun) -> set[t.Any]:
        return {record[self.key] for record in run.records(self.stream)}


def subject(name: str, emulator: Emulator) -> Subject:
    if name == "tap_aiokk":
        account = aiokk_account(dialogs=40, seed=3)
        config = mount_aiokk(emulator, account)
        return Subject(
            name,
            config,
            "dialogs",
            set(account.finished_ids()),
            "dialog_id",
            ("calls", "analyses"),
            ("api_url",),
        )
    if name == "tap_twin24":
        calls = Twin24Account(calls=30, seed=3)
        config = mount_twin24(emulator, calls)
        return Subject(
            name,
            config,
            "calls",
            set(calls.truth()),
            "id",
            ("dialogs", "analyses"),
            ("auth_url", "api_url", "tasks_url"),
        )
    recordings = alovoice_account(4, delay_seconds=0.1)
    # Submitted already (their analyses done): --test, which never submits, has results to read.
    recordings.presubmit(recordings.call_ids(), seconds_ago=10)
    config = mount_alovoice(emulator, recordings)
    done = set(recordings.call_ids())
    return Subject(name, config, "analyses", done, "call_id", ("dialogs", "calls"), ("api_url",))


TAP_CLASSES: dict[str, type[Tap]] = {
    "tap_aiokk": TapAiokk,
    "tap_twin24": TapTwin24,
    "tap_alovoice": TapAlovoice,
}
TAPS = list(TAP_CLASSES)


def one_error(run: TapRun, *words: str) -> str:
    """The run failed as a data engineer expects: exit 1, one ERROR line, no traceback."""
    assert run.exit_code == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert len(run.error_lines) == 1, run.error_lines
    line = run.error_lines[0]
    assert all(word in line for word in words), line
    return line


def warnings(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if "| WARNING" in line]


@pytest.mark.parametrize("tap", TAPS)
@pytest.mark.parametrize(
    ("state", "words"),
    [
        pytest.param([], ("cannot use --state", "a list"), id="state is a list"),
        pytest.param({"bookmarks": "x"}, ("bookmarks must be an object",), id="bookmarks string"),
        pytest.param(None, ("it is null",), id="state is null"),
    ],
)
def test_a_state_of_the_wrong_shape_is_one_line(
    emulator: Emulator, tmp_path: Path, tap: str, state: object, words: tuple[str, ...]
) -> None:
    case = subject(tap, emulator)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    run = run_tap(tap, case.config, tmp_path, args=["--state", str(path)])
    line = one_error(run, *words)
    assert "meltano state" in line
    assert run.records(case.stream) == []


@pytest.mark.parametrize("tap", TAPS)
def test_a_bookmark_that_is_a_list_is_one_line(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    run = run_tap(tap, case.config, tmp_path, state={"bookmarks": {case.stream: ["x"]}})
    one_error(run, f"bookmarks.{case.stream} must be an object", "meltano state")


@pytest.mark.parametrize("tap", TAPS)
@pytest.mark.parametrize("content", ["null", "[]", '"token"'])
def test_a_config_file_that_is_not_an_object_is_one_line(
    tmp_path: Path, tap: str, content: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    completed = subprocess.run(
        [sys.executable, "-m", tap, "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean_environ(),
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    [line] = [line for line in completed.stderr.splitlines() if line.strip()]
    assert "| ERROR" in line and "not a JSON object" in line


@pytest.mark.parametrize("tap", TAPS)
def test_a_state_of_another_tap_is_named_in_a_warning(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    foreign = {"bookmarks": {name: {"replication_key_value": "x"} for name in case.other_streams}}
    run = run_tap(tap, case.config, tmp_path, state=foreign)
    assert run.exit_code == 0, run.stderr[-3000:]
    [warning] = [line for line in warnings(run) if "the state holds bookmarks only for" in line]
    assert all(name in warning for name in case.other_streams)
    assert case.keys(run) == case.expected and case.expected


@pytest.mark.parametrize("tap", TAPS)
def test_a_misspelt_setting_is_named_with_the_one_meant(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    config = case.config | {"max_retires": 3, "request_timout": 5}
    run = run_tap(tap, config, tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    said = warnings(run)
    assert [w for w in said if "'max_retires'" in w and "did you mean 'max_retries'?" in w]
    assert [w for w in said if "'request_timout'" in w and "did you mean 'request_timeout'?" in w]
    assert case.keys(run) == case.expected


@pytest.mark.parametrize("tap", TAPS)
def test_a_misspelt_required_setting_names_both_keys(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    required = {"tap_aiokk": "token", "tap_twin24": "start_date", "tap_alovoice": "token"}[tap]
    config = dict(case.config)
    config[required + "s"] = config.pop(required)
    run = run_tap(tap, config, tmp_path)
    one_error(run, f"'{required}' is a required property")
    assert [w for w in warnings(run) if f"'{required}s'" in w and f"'{required}'?" in w]


@pytest.mark.parametrize("tap", TAPS)
def test_connection_test_passes_with_info_lines_only(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    run = run_tap(tap, case.config, tmp_path, args=["--test"])
    assert run.exit_code == 0, run.stderr[-3000:]
    assert run.error_lines == [] and "Traceback" not in run.stderr
    # No WARNING at all: not even the SDK's "assumed to be unsorted, progress is not
    # resumable", which no stream of ours gets where it resumes (docs/reliability.md).
    assert warnings(run) == []
    assert "Connection test passed" in run.stderr
    assert run.records(case.stream), "the test read a record"


@pytest.mark.parametrize("tap", TAPS)
def test_connection_test_against_a_dead_host_is_one_line(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    config = case.config | dict.fromkeys(case.url_settings, UNREACHABLE) | {"max_retries": 1}
    run = run_tap(tap, config, tmp_path, args=["--test"])
    line = one_error(run, "127.0.0.1:9")
    assert URL_SECRET not in run.stderr and URL_SECRET not in run.stdout
    # --test gives up at once on a host it cannot reach, and names the cause.
    assert "the connection was refused" in line or "the connection could not be made" in line
    assert len(run.stderr.splitlines()) < 20, run.stderr


def refused_url() -> str:
    """A loopback URL whose port nobody listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("tap", TAPS)
def test_connection_test_on_a_dead_host_answers_within_15_seconds(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    """`meltano config test` runs `--test`: a user waits for it. With the default retries (5,
    the wait doubling from backoff_ms) a sync spends about a minute on a refused connection;
    the test says it at once. 15 s is the bound promised; the run takes a second or two."""
    case = subject(tap, emulator)
    defaults = {"max_retries", "backoff_ms", "request_timeout"}
    config = {k: v for k, v in case.config.items() if k not in defaults}
    config |= dict.fromkeys(case.url_settings, refused_url())

    started = time.monotonic()
    run = run_tap(tap, config, tmp_path, args=["--test"])
    took = time.monotonic() - started

    line = one_error(run, "the connection was refused (are the host and port right")
    assert "retries exhausted" not in line and "kept failing" not in line, line
    assert took < 15, f"{took:.1f} s"


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize("tap", TAPS)
def test_every_setting_can_come_from_the_environment_as_text(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    """Every setting of the config, and every whole-number setting at its default, as text."""
    case = subject(tap, emulator)
    properties = TAP_CLASSES[tap].config_jsonschema["properties"]
    numeric = {
        name: spec["default"]
        for name, spec in properties.items()
        if "integer" in str(spec.get("type")) and "default" in spec
    }
    assert len(numeric) >= 4
    settings = numeric | case.config
    environment = {case.prefix + name.upper(): _as_text(value) for name, value in settings.items()}
    environment[case.prefix + "MAX_RETIRES"] = "3"
    (tmp_path / ".env").write_text(f"{case.prefix}REQUEST_TIMEOUT=not-a-number\n")
    completed = subprocess.run(
        [sys.executable, "-m", tap, "--config=ENV"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # with a .env the environment wins over
        env=clean_environ(environment),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    records = [
        json.loads(line)["record"]
        for line in completed.stdout.splitlines()
        if '"type":"RECORD"' in line.replace(" ", "") and f'"{case.stream}"' in line
    ]
    assert {record[case.key] for record in records} == case.expected and case.expected
    said = [line for line in completed.stderr.splitlines() if "MAX_RETIRES" in line]
    assert len(said) == 1, said
    assert f"{case.prefix}MAX_RETIRES is not a setting of {tap.replace('_', '-')}" in said[0]


# What Meltano 4.4.1 sets, besides each setting given a value, for an extractor it runs.
MELTANO_EXTRAS = ("LOAD_SCHEMA", "LOG_PARSER", "METADATA", "SCHEMA", "SELECT", "SELECT_FILTER")


@pytest.mark.parametrize("tap", TAPS)
def test_an_unknown_variable_is_named_once_without_config_env(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    """As under `meltano run`, where the tap gets a config file and the project's .env and the
    shell's variables as they are: the misspelt one is named once, Meltano's own never."""
    case = subject(tap, emulator)
    name = tap.replace("_", "-")
    environment = {case.prefix + "_" + extra: "[]" for extra in MELTANO_EXTRAS}
    environment |= {case.prefix + "MAX_RETIRES": "3", case.prefix + "LOGLEVEL": "INFO"}
    environment |= {case.prefix + "STREAM_MAP_CONFIG_SALT": "x", case.prefix + "TOKEN": "t"}
    environment |= {"MELTANO_EXTRACTOR_NAME": name, "MELTANO_PROJECT_ROOT": str(tmp_path)}
    run = run_tap(
        tap, case.config | {"stream_map_config": {"salt": "x"}}, tmp_path, env=environment
    )
    assert run.exit_code == 0, run.stderr[-3000:]
    assert warnings(run) == [
        line
        for line in run.stderr.splitlines()
        if line.endswith(
            f"| {case.prefix}MAX_RETIRES is not a setting of {name} and is ignored; did you "
            f"mean {case.prefix}MAX_RETRIES (max_retries)?"
        )
    ]
    assert len(warnings(run)) == 1
    assert case.keys(run) == case.expected


@pytest.mark.parametrize("tap", TAPS)
def test_discovery_names_an_unknown_setting_once(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    """A setting of the wrong type makes discovery build the tap twice (the second time to
    name the setting): the misspelt one is still named once."""
    case = subject(tap, emulator)
    config = case.config | {"request_timeout": "soon", "max_retires": 3}
    run = run_tap(tap, config, tmp_path, args=["--discover"])
    assert [line for line in warnings(run) if "'max_retires'" in line] == warnings(run)
    assert len(warnings(run)) == 1, run.stderr[-3000:]


@pytest.mark.parametrize("tap", TAPS)
def test_discovery_under_meltano_leaves_unknown_settings_to_the_run(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    """Meltano runs a discovery before each run and shows both logs: the run names them."""
    case = subject(tap, emulator)
    config = case.config | {"max_retires": 3}
    environment = {case.prefix + "MAX_RETRIES_": "3", "MELTANO_EXTRACTOR_NAME": tap}
    discovery = run_tap(tap, config, tmp_path / "discovery", args=["--discover"], env=environment)
    assert discovery.exit_code == 0, discovery.stderr[-3000:]
    assert warnings(discovery) == []
    sync = run_tap(tap, config, tmp_path / "sync", env=environment)
    assert sync.exit_code == 0, sync.stderr[-3000:]
    assert len(warnings(sync)) == 2, warnings(sync)


@pytest.mark.parametrize("tap", TAPS)
def test_discovery_with_a_word_for_a_number_is_one_line(
    emulator: Emulator, tmp_path: Path, tap: str
) -> None:
    case = subject(tap, emulator)
    run = run_tap(tap, case.config | {"request_timeout": "soon"}, tmp_path, args=["--discover"])
    assert "Traceback" not in run.stderr
    if run.exit_code == 0:  # this tap builds its streams without reading the setting
        streams = json.loads(run.stdout)["streams"]
        assert case.stream in {stream["tap_stream_id"] for stream in streams}
        return
    one_error(run, "request_timeout", "'soon' is not of type 'integer'")


@pytest.mark.parametrize("tap", TAPS)
def test_discovery_needs_no_settings(tmp_path: Path, tap: str) -> None:
    run = run_tap(tap, {}, tmp_path, args=["--discover"])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["streams"]
