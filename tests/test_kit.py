"""The library (singer_tap_kit) in the taps, and the rules it holds.

Each rule is shown by named cases, fast and direct (no subprocess, no socket).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import typing as t
from pathlib import Path

import pytest
import requests
from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage
from singer_sdk.streams import RESTStream, Stream

from singer_tap_kit import cli, redaction, settings, state, writer
from singer_tap_kit.tap import KitTap
from tap_aiokk.tap import TapAiokk
from tap_alovoice.tap import TapAlovoice
from tap_twin24.tap import TapTwin24

ROOT = Path(__file__).parent.parent
TAPS = ("tap_aiokk", "tap_twin24", "tap_alovoice")
PACKAGES = (*TAPS, "singer_tap_kit")


# The packages: each tap's and the library's ---------------------------------------------------


def _folder(package: str) -> Path:
    """The package's folder: ``tap_aiokk/tap_aiokk``, ``singer_tap_kit/singer_tap_kit``."""
    return ROOT / package / package


def _imports(tap: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports at run time (not TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for path in _folder(tap).rglob("*.py"):
        module = ".".join(path.relative_to(ROOT / tap).with_suffix("").parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in tree.body:  # top level only: TYPE_CHECKING blocks are `if` nodes
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).rstrip(".")
                found.add(base)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[module.removesuffix(".__init__")] = {m for m in found if m.startswith(tap)}
    return graph


@pytest.mark.parametrize("tap", PACKAGES)
def test_no_module_of_a_tap_imports_itself_back(tap: str) -> None:
    graph = _imports(tap)
    assert len(graph) >= 10

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []


def test_the_private_sdk_methods_the_kit_overrides_keep_their_signatures() -> None:
    """KitTap overrides Tap._validate_config and KitStream RESTStream._request (see their
    docstrings); this fails when the SDK changes either, so the override is looked at again."""
    signature = inspect.signature(Tap._validate_config)
    assert list(signature.parameters) == ["self", "raise_errors"]
    assert signature.parameters["raise_errors"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(RESTStream._request).parameters) == [
        "self",
        "prepared_request",
        "context",
    ]
    # tap-twin24's CallsStream._increment_stream_state notes the calls at the bookmark's time.
    signature = inspect.signature(RESTStream._increment_stream_state)
    assert list(signature.parameters) == ["self", "latest_record", "context"]
    assert signature.parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY
    # tap-alovoice's CallChildStream._write_state_message leaves the state to the checkpoints.
    assert list(inspect.signature(Stream._write_state_message).parameters) == ["self"]
    # tap-alovoice's TapAlovoice._handle_termination ends its retry waits first (see there).
    assert list(inspect.signature(Tap._handle_termination).parameters) == [
        "self",
        "signum",
        "frame",
    ]


PRIVATE_OVERRIDES_PINNED = {
    "_validate_config",
    "_request",
    "_handle_termination",
    "_increment_stream_state",
    "_write_state_message",
}


def _sdk_private_overrides() -> dict[str, set[str]]:
    """Class -> the private singer-sdk methods it defines again, over every tap module."""
    found: dict[str, set[str]] = {}
    for tap in PACKAGES:
        for path in sorted(_folder(tap).rglob("*.py")):
            if path.name == "__main__.py":  # importing it would run the tap
                continue
            parts = path.relative_to(ROOT / tap).with_suffix("").parts
            module = importlib.import_module(".".join(parts))
            for name, cls in vars(module).items():
                if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                    continue
                sdk_bases = [b for b in cls.__mro__[1:] if b.__module__.startswith("singer_sdk")]
                private = {
                    attr
                    for attr, value in vars(cls).items()
                    if callable(value)
                    and attr.startswith("_")
                    and not attr.startswith("__")
                    and any(attr in vars(base) for base in sdk_bases)
                }
                if private:
                    found[f"{module.__name__}.{name}"] = private
    return found


def test_no_other_private_sdk_method_is_overridden() -> None:
    """Only the overrides pinned above: any other would break unseen when the SDK changes it
    (singer-sdk 0.55 calls ``_write_request_duration_log`` with fewer arguments)."""
    found = _sdk_private_overrides()
    assert found, "no class overrides the pinned private methods: the walk found nothing"
    assert {name for names in found.values() for name in names} <= PRIVATE_OVERRIDES_PINNED, found


def test_the_sdk_hook_for_the_writer_keeps_its_shape() -> None:
    """KitTap picks its writer through the SDK's public ``message_writer_class``, which the SDK
    instantiates without arguments, and overrides the writer's public ``write_message``."""
    assert "message_writer_class" in vars(Tap)
    assert Tap.instantiate_processor(None, writer.OneSchemaWriter).__class__ is (
        writer.OneSchemaWriter
    )
    assert list(inspect.signature(MsgSpecWriter.write_message).parameters) == ["self", "message"]
    for tap in (TapAiokk, TapTwin24, TapAlovoice):
        assert tap.message_writer_class.__name__ == "OneSchemaWriter"
        assert issubclass(tap.message_writer_class, MsgSpecWriter)


def test_a_stream_schema_goes_out_once_unless_it_changes(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    changed = {"type": "object", "properties": {"id": {"type": "string"}}}
    out = writer.OneSchemaWriter()
    for message in (
        SchemaMessage("a", schema, ["id"]),
        RecordMessage("a", {"id": 1}),
        SchemaMessage("a", schema, ["id"]),
        SchemaMessage("b", schema, ["id"]),
        RecordMessage("a", {"id": 2}),
        SchemaMessage("a", schema, ["id"]),
        SchemaMessage("a", changed, ["id"]),
        SchemaMessage("a", changed, ["id", "other"]),
        RecordMessage("a", {"id": "3"}),
    ):
        out.write_message(message)
    lines = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert [(m["type"], m["stream"]) for m in lines] == [
        ("SCHEMA", "a"),
        ("RECORD", "a"),
        ("SCHEMA", "b"),
        ("RECORD", "a"),
        ("SCHEMA", "a"),
        ("SCHEMA", "a"),
        ("RECORD", "a"),
    ]
    assert lines[4]["schema"] == changed and lines[5]["key_properties"] == ["id", "other"]


# Settings from text --------------------------------------------------------------------

SCHEMA = TapAlovoice.settings_schema()


@pytest.mark.parametrize(
    ("given", "read"),
    [
        pytest.param({"max_retries": "7"}, {"max_retries": 7}, id="whole number as text"),
        pytest.param({"max_retries": " 7 "}, {"max_retries": 7}, id="spaces around it"),
        pytest.param(
            {"max_retries": "7.5"}, {"max_retries": "7.5"}, id="fraction for integer kept"
        ),
        pytest.param(
            {"max_retries": "many"}, {"max_retries": "many"}, id="word kept for the check"
        ),
        pytest.param({"max_retries": 7}, {"max_retries": 7}, id="a number stays"),
        pytest.param({"submit": "false"}, {"submit": False}, id="boolean false"),
        pytest.param({"submit": "Yes"}, {"submit": True}, id="boolean yes"),
        pytest.param({"token": "123"}, {"token": "123"}, id="text setting stays text"),
        pytest.param({"call_ids": "a,b"}, {"call_ids": "a,b"}, id="no list from a file's text"),
        pytest.param({"unknown": "1"}, {"unknown": "1"}, id="unknown left alone"),
    ],
)
def test_text_is_read_as_the_settings_type(given: dict[str, t.Any], read: dict[str, t.Any]) -> None:
    assert settings.coerce(given, SCHEMA) == read


@pytest.mark.parametrize(
    ("text", "read"),
    [
        pytest.param('["a", "b"]', ["a", "b"], id="JSON list"),
        pytest.param("a, b", ["a", "b"], id="comma-separated"),
        pytest.param("", [], id="empty is no calls"),
    ],
)
def test_a_list_comes_from_environment_text(text: str, read: list[str]) -> None:
    assert settings.coerce({"call_ids": text}, SCHEMA, text_lists=True) == {"call_ids": read}


def test_a_number_list_from_the_environment_holds_numbers() -> None:
    schema = TapAiokk.settings_schema()
    assert settings.coerce({"call_types": "[1, 2]"}, schema, text_lists=True) == {
        "call_types": [1, 2]
    }
    assert settings.coerce({"call_types": "1,3"}, schema, text_lists=True) == {"call_types": [1, 3]}


def test_the_environment_wins_over_dotenv_and_nothing_else_is_read(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TAP_X_MAX_RETRIES=1\nTAP_X_TOKEN=from-file\n")
    environ = {"TAP_X_MAX_RETRIES": "9", "OTHER": "x"}
    assert settings.environment_config(SCHEMA, "TAP_X_", environ, dotenv) == {
        "max_retries": "9",
        "token": "from-file",
    }


def test_an_empty_variable_is_an_unset_setting(tmp_path: Path) -> None:
    environ = {"TAP_X_MAX_WAIT": "", "TAP_X_TOKEN": "t"}
    assert settings.environment_config(SCHEMA, "TAP_X_", environ, tmp_path / ".env") == {
        "token": "t"
    }


def test_dotenv_is_read_from_the_working_directory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TAP_X_TOKEN=from-parent\n")
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    assert settings.environment_config(SCHEMA, "TAP_X_", {}) == {}
    monkeypatch.chdir(tmp_path)
    assert settings.environment_config(SCHEMA, "TAP_X_", {}) == {"token": "from-parent"}


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "poll_intervall_ms",
            "unknown setting 'poll_intervall_ms' is ignored; did you mean 'poll_interval_ms'?",
        ),
        ("max_wiat", "unknown setting 'max_wiat' is ignored; did you mean 'max_wait'?"),
        ("zzz", "unknown setting 'zzz' is ignored"),
        (
            "backoff_factor",
            "unknown setting 'backoff_factor' is ignored: it is now backoff_ms, in milliseconds",
        ),
    ],
)
def test_an_unknown_setting_is_named_with_the_closest_known_one(name: str, line: str) -> None:
    renamed = TapAlovoice.renamed_settings
    assert settings.unknown_settings({name: 1, "token": "x"}, SCHEMA, renamed) == [line]


def test_known_and_sdk_settings_are_not_unknown() -> None:
    given = {"token": "x", "stream_maps": {}, "flattening_enabled": False}
    assert settings.unknown_settings(given, SCHEMA) == []


def test_unknown_variables_skip_meltano_extras_and_the_log_level(tmp_path: Path) -> None:
    environ = {
        "TAP_X_TOKEN": "x",
        "TAP_X_MAX_WIAT": "1",
        "TAP_X__SELECT": "[]",
        "TAP_X_LOGLEVEL": "DEBUG",
    }
    assert settings.unknown_variables(SCHEMA, "TAP_X_", environ, tmp_path / ".env") == [
        "TAP_X_MAX_WIAT"
    ]


def test_a_relative_batch_root_is_made_absolute_in_the_meltano_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK writes BATCH files under the root as its working directory resolves it."""
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", "/srv/project")
    batch = {"encoding": {"format": "jsonl"}, "storage": {"root": "file://out", "prefix": "b-"}}
    config = {
        "api_url": "https://example.com",
        "token": "canary-batch-root-token",
        "batch_config": batch,
    }
    tap = TapAiokk(config=config)
    assert tap.config["batch_config"]["storage"] == {
        "root": "file:///srv/project/out",
        "prefix": "b-",
    }
    assert batch["storage"] == {"root": "file://out", "prefix": "b-"}, "the caller's is left alone"


# State shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        pytest.param([], "it is a list ([]), not an object", id="a list"),
        pytest.param(None, "it is null, not an object", id="null"),
        pytest.param({"bookmarks": "x"}, "bookmarks must be an object", id="bookmarks a string"),
        pytest.param(
            {"bookmarks": {"calls": []}}, "bookmarks.calls must be an object", id="bookmark a list"
        ),
        pytest.param({"bookmarks": None}, "bookmarks must be an object, not null", id="null"),
        pytest.param(
            {"bookmarks": {"calls": {"progress_markers": "x"}}},
            "bookmarks.calls.progress_markers must be an object",
            id="progress markers a string",
        ),
        pytest.param(
            {"bookmarks": {"calls": {"partitions": {}}}},
            "bookmarks.calls.partitions must be a list",
            id="partitions an object",
        ),
        pytest.param(
            {"bookmarks": {"calls": {"partitions": [{"x": 1}]}}},
            "bookmarks.calls.partitions must hold objects with a context",
            id="partition without context",
        ),
    ],
)
def test_a_state_of_another_shape_is_named(given: object, problem: str) -> None:
    found = state.shape_problem(given)
    assert found is not None and found.startswith(problem)
    with pytest.raises(state.StateError, match="meltano state clear --force"):
        state.check_shape(given)


@pytest.mark.parametrize(
    "given",
    [
        pytest.param({}, id="empty"),
        pytest.param({"bookmarks": {}}, id="no bookmarks"),
        pytest.param(
            {"bookmarks": {"calls": {"partitions": [{"context": {"task": "a"}}]}}},
            id="partitions",
        ),
    ],
)
def test_states_the_sdk_reads_pass(given: object) -> None:
    assert state.shape_problem(given) is None


def test_a_state_of_other_streams_only_is_foreign() -> None:
    other: dict[str, t.Any] = {"bookmarks": {"calls": {}, "tasks": {}}}
    assert state.foreign_streams(other, ["dialogs", "dialog_signals"]) == ["calls", "tasks"]
    mixed: dict[str, t.Any] = {"bookmarks": {"calls": {}, "dialogs": {}}}
    assert state.foreign_streams(mixed, ["dialogs"]) == []
    assert state.foreign_streams({}, ["dialogs"]) == []


# Input files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "content", "problem"),
    [
        pytest.param("--config", "null", "it holds null, not a JSON object", id="config null"),
        pytest.param("--config", "[1]", "it holds list, not a JSON object", id="config list"),
        pytest.param("--config", "{", "not JSON", id="config not JSON"),
        pytest.param("--state", "[]", "it is a list ([]), not an object", id="state list"),
        pytest.param(
            "--state", '{"bookmarks": "x"}', "bookmarks must be an object", id="bookmarks"
        ),
        pytest.param("--catalog", '"x"', "it holds str, not a JSON object", id="catalog string"),
    ],
)
def test_an_unusable_input_file_is_named(
    tmp_path: Path, option: str, content: str, problem: str
) -> None:
    path = tmp_path / "file.json"
    path.write_text(content)
    for arguments in ([option, str(path)], [f"{option}={path}"]):
        found = cli.input_file_problem(arguments)
        assert found is not None and f"{option} {path}: {problem}" in found


def test_usable_input_files_and_env_pass(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    assert cli.input_file_problem(["--config", str(path), "--config", "ENV", "--about"]) is None
    assert cli.input_file_problem(["--config", "ENV"]) is None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://u:pw@host.example:8443/a?token=x", "host.example:8443"),
        ("http://127.0.0.1:9", "127.0.0.1:9"),
        ("https://cld.alovoice.uz/callgetairesult/t/1", "cld.alovoice.uz"),
        (None, ""),
    ],
)
def test_a_url_is_shown_by_its_host_only(url: str | None, host: str) -> None:
    assert redaction.host_of(url) == host


# Retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("tap", [TapAiokk, TapTwin24, TapAlovoice])
def test_every_numeric_setting_is_a_whole_number(tap: type[Tap]) -> None:
    """Meltano 4.4 cannot pass a fractional setting from the environment (kind: decimal)."""
    properties = tap.config_jsonschema["properties"]
    numeric = [name for name, spec in properties.items() if "number" in str(spec.get("type"))]
    assert numeric == []
    whole = [name for name, spec in properties.items() if "integer" in str(spec.get("type"))]
    assert "backoff_ms" in whole and "max_retries" in whole


def _failed(exception: requests.RequestException, url: str) -> requests.RequestException:
    exception.request = requests.Request("GET", url).prepare()
    return exception


@pytest.mark.parametrize(
    ("exception", "line"),
    [
        pytest.param(
            _failed(requests.exceptions.ConnectTimeout(), "https://u:pw@host.example:8443/a"),
            "tap-alovoice request at host.example:8443: no connection within the request timeout "
            "(is the host up, and its port open to this machine?) (retries exhausted)",
            id="credentials in the URL are not shown",
        ),
        pytest.param(
            _failed(requests.exceptions.InvalidURL(), "https://host.example/a"),
            "tap-alovoice request at host.example: InvalidURL",
            id="a failure never retried is not said to be",
        ),
        pytest.param(
            requests.exceptions.ConnectionError(),
            "tap-alovoice request: the connection failed or was dropped (retries exhausted)",
            id="no request",
        ),
    ],
)
def test_the_last_line_of_a_failed_request(exception: requests.RequestException, line: str) -> None:
    assert KitTapForTests.failure_line(exception) == line


class KitTapForTests(TapAlovoice):
    """The kit's own wording, without alovoice's description of its requests."""

    @classmethod
    def describe_request(cls, request: requests.PreparedRequest | None) -> str:
        return str(KitTap.describe_request.__func__(cls, request))  # type: ignore[attr-defined]
