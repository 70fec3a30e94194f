"""The Meltano Hub definitions and meltano.yml's extractors say what the taps' ``--about`` says.

Each check is a function returning what it found wrong, so that the tests below can also show
that it does find something when a definition, meltano.yml or --about is changed in memory.
"""

from __future__ import annotations

import copy
import subprocess
import tomllib
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from tests.meltano_project import meltano
from tests.plugin_definitions import (
    GENERATED_KEYS,
    MELTANO_YML,
    ROOT,
    TAPS,
    about,
    hub_path,
    rendered,
)

Plugin = dict[str, t.Any]
About = dict[str, t.Any]
REQUIRED = (
    "name",
    "namespace",
    "variant",
    "label",
    "description",
    "keywords",
    "pip_url",
    "executable",
    "capabilities",
    "settings_group_validation",
    "settings",
)
KIND_OF_TYPE = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}
# Meltano Hub's schema of an extractor's definition, as far as these files use it (meltano/hub:
# schemas/plugin_definitions/extractors.schema.json with common/common.schema.json,
# common/extractors_specific.schema.json, common/base_setting.schema.json and
# plugin_definitions/hub_metadata.schema.json).
HUB_EXTRACTOR_SCHEMA: dict[str, t.Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name", "namespace", "variant", "quality"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "variant": {"type": "string"},
        "label": {"type": "string"},
        "description": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "domain_url": {"type": ["string", "null"], "format": "uri"},
        "maintenance_status": {
            "enum": ["active", "beta", "development", "inactive", "unknown"],
        },
        "quality": {"enum": ["gold", "silver", "bronze", "unknown"]},
        "pip_url": {"type": "string"},
        "executable": {"type": "string"},
        "supported_python_versions": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^3\.\d+$"},
        },
        "capabilities": {
            "type": "array",
            "items": {
                "enum": [
                    "properties",
                    "catalog",
                    "discover",
                    "state",
                    "about",
                    "stream-maps",
                    "schema-flattening",
                    "activate-version",
                    "batch",
                    "test",
                    "log-based",
                    "structured-logging",
                ],
            },
        },
        "settings_group_validation": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
        },
        "settings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "label": {"type": "string"},
                    "kind": {
                        "enum": [
                            "oauth",
                            "hidden",
                            "password",
                            "date_iso8601",
                            "file",
                            "email",
                            "integer",
                            "options",
                            "object",
                            "array",
                            "boolean",
                            "string",
                            "decimal",
                        ],
                    },
                    "options": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "label": {"type": "string"},
                                "value": {"type": "string"},
                            },
                        },
                    },
                    "value": {},
                    "sensitive": {"type": "boolean"},
                    "description": {"type": "string"},
                },
            },
        },
    },
}
# The demo environment's values that are secret in a real account: never printed by meltano.
DEMO_SECRETS = ("demo-token", "demo-password")


@pytest.fixture(scope="module")
def abouts() -> dict[str, About]:
    """Each tap's --about, run once for the module (in parallel: they take a second each)."""
    with ThreadPoolExecutor() as pool:
        found = pool.map(lambda tap: (tap, about(TAPS[tap].module)), TAPS)
        return dict(found)


@pytest.fixture(scope="module")
def definitions() -> dict[str, Plugin]:
    return {tap: yaml.safe_load(hub_path(tap).read_text(encoding="utf-8")) for tap in TAPS}


def meltano_extractors(text: str) -> dict[str, Plugin]:
    return {entry["name"]: entry for entry in yaml.safe_load(text)["plugins"]["extractors"]}


# The checks. ------------------------------------------------------------------------------


def expected_kind(schema: t.Mapping[str, t.Any]) -> str:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    (json_type,) = [each for each in types if each != "null"]
    if "enum" in schema:
        return "options"
    if json_type == "string" and schema.get("format") == "date-time":
        return "date_iso8601"
    return KIND_OF_TYPE[json_type]


def about_disagreements(plugin: Plugin, about: About) -> list[str]:
    """Where the definition says otherwise than the tap's --about."""
    problems = []
    if plugin.get("capabilities") != about["capabilities"]:
        problems.append(f"capabilities {plugin.get('capabilities')} != {about['capabilities']}")
    for key in ("name", "executable"):
        if plugin.get(key) != about["name"]:
            problems.append(f"{key} {plugin.get(key)!r} is not the tap's name {about['name']!r}")
    if plugin.get("supported_python_versions") != about["supported_python_versions"]:
        problems.append("supported_python_versions differ")
    properties = about["settings"]["properties"]
    settings = {s["name"]: s for s in plugin.get("settings", [])}
    problems += [f"setting {name} is not in --about" for name in settings.keys() - properties]
    problems += [f"setting {name} is missing" for name in properties.keys() - settings.keys()]
    for name in settings.keys() & properties.keys():
        problems += setting_disagreements(settings[name], properties[name])
    required = set(about["settings"].get("required", ()))
    for group in plugin.get("settings_group_validation", []):
        if not required <= set(group):
            problems.append(f"settings group {group} lacks a required setting of {required}")
    return problems


def setting_disagreements(setting: dict[str, t.Any], schema: dict[str, t.Any]) -> list[str]:
    """Where one setting says otherwise than its JSON Schema in --about."""
    name, problems = setting["name"], []
    if setting.get("kind") != expected_kind(schema):
        problems.append(f"{name}: kind {setting.get('kind')} for {schema['type']}")
    if "enum" in schema and [o["value"] for o in setting.get("options", [])] != schema["enum"]:
        problems.append(f"{name}: options are not {schema['enum']}")
    if bool(setting.get("sensitive")) != bool(schema.get("secret")):
        problems.append(f"{name}: sensitive is {setting.get('sensitive')}, secret is not")
    if setting.get("description") != schema.get("description"):
        problems.append(f"{name}: description is not --about's")
    if "title" in schema and setting.get("label") != schema["title"]:
        problems.append(f"{name}: label is not --about's title {schema['title']!r}")
    default = ("default" in schema, schema.get("default"))
    if ("value" in setting, setting.get("value")) != default:
        problems.append(f"{name}: value {setting.get('value')!r} is not the default")
    return problems


def hub_problems(plugin: Plugin) -> list[str]:
    """What keeps the definition from being a complete, valid Meltano Hub definition."""
    problems = [f"no {key}" for key in REQUIRED if not plugin.get(key)]
    validator = jsonschema.Draft7Validator(
        HUB_EXTRACTOR_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    problems += [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(plugin)
    ]
    names = {setting.get("name") for setting in plugin.get("settings", [])}
    for group in plugin.get("settings_group_validation", []):
        problems += [f"settings group names {name}, no setting" for name in set(group) - names]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if plugin.get("pip_url") != project["name"]:
        problems.append(f"pip_url {plugin.get('pip_url')!r} is not {project['name']!r}")
    if plugin.get("executable") not in project["scripts"]:
        problems.append(f"executable {plugin.get('executable')!r} is no console script")
    elif not project["scripts"][plugin["executable"]].startswith(f"{plugin.get('namespace')}."):
        problems.append(f"namespace {plugin.get('namespace')} is not the executable's package")
    return problems


def meltano_disagreements(entry: Plugin, plugin: Plugin) -> list[str]:
    """Where meltano.yml's extractor says otherwise than the Hub definition."""
    return [
        f"{key} differs from the Hub definition"
        for key in ("name", "namespace", "executable", *GENERATED_KEYS)
        if entry.get(key) != plugin.get(key)
    ]


def stale_files(expected: t.Mapping[Path, str]) -> list[str]:
    """The generated files whose text is not what `make docs` would write now."""
    return [
        str(path.relative_to(ROOT))
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def meltano_config_list(project: Path, tap: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`meltano --environment=demo config list TAP`, in `project`, with a throwaway system db."""
    return meltano(
        "--environment=demo",
        "config",
        "list",
        tap,
        env={"MELTANO_DATABASE_URI": f"sqlite:///{tmp / f'{project.name}-{tap}.db'}"},
        timeout=120,
        project=project,
    )


def meltano_problems(result: subprocess.CompletedProcess[str], plugin: Plugin) -> list[str]:
    """What is wrong with how meltano shows the extractor's demo configuration."""
    if result.returncode != 0:
        return [f"meltano failed: {(result.stdout + result.stderr)[-2000:]}"]
    problems = []
    if "Custom, possibly unsupported" in result.stdout:
        problems.append("meltano finds settings meltano.yml does not declare")
    problems += [f"{secret} shown in clear" for secret in DEMO_SECRETS if secret in result.stdout]
    lines = {line.split(" ", 1)[0]: line for line in result.stdout.splitlines()}
    for setting in plugin["settings"]:
        line = lines.get(setting["name"], "")
        shown = line and "current value: None" not in line
        if setting.get("sensitive") and shown and "current value: (redacted)" not in line:
            problems.append(f"{setting['name']} is not redacted: {line!r}")
    return problems


# The tests. -------------------------------------------------------------------------------


@pytest.mark.parametrize("tap", TAPS)
def test_definition_matches_about(
    tap: str, definitions: dict[str, Plugin], abouts: dict[str, About]
) -> None:
    assert about_disagreements(definitions[tap], abouts[tap]) == [], "run `make docs`"


@pytest.mark.parametrize("tap", TAPS)
def test_definition_is_complete(tap: str, definitions: dict[str, Plugin]) -> None:
    assert hub_problems(definitions[tap]) == []


@pytest.mark.parametrize("tap", TAPS)
def test_meltano_yml_extractor_matches_definition(tap: str, definitions: dict[str, Plugin]) -> None:
    entry = meltano_extractors(MELTANO_YML.read_text(encoding="utf-8"))[tap]
    assert meltano_disagreements(entry, definitions[tap]) == [], "run `make docs`"


def test_generated_files_are_current(abouts: dict[str, About]) -> None:
    assert stale_files(rendered(abouts)) == [], "run `make docs`"


def test_meltano_accepts_the_extractors(definitions: dict[str, Plugin], tmp_path: Path) -> None:
    """meltano reads every setting of the demo environment as declared, secrets redacted; and
    the same check fails on a copy of the project where aiokk's token is not marked sensitive
    and its timezone (set in the demo environment) is not declared."""
    project = yaml.safe_load(MELTANO_YML.read_text(encoding="utf-8"))
    aiokk = next(e for e in project["plugins"]["extractors"] if e["name"] == "tap-aiokk")
    _setting(aiokk, "token").pop("sensitive")
    aiokk["settings"].remove(_setting(aiokk, "timezone"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "meltano.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    runs = [(ROOT, tap) for tap in TAPS] + [(broken, "tap-aiokk")]
    with ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda run: meltano_config_list(run[0], run[1], tmp_path), runs))
    for (_, tap), result in zip(runs[:-1], results[:-1], strict=True):
        assert meltano_problems(result, definitions[tap]) == [], tap
    assert "(redacted)" in results[0].stdout and "Group 2" in results[1].stdout
    assert meltano_problems(results[-1], definitions["tap-aiokk"]) == [
        "meltano finds settings meltano.yml does not declare",
        "demo-token shown in clear",
        f"token is not redacted: {_line(results[-1].stdout, 'token')!r}",
    ]


def _line(output: str, setting: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{setting} "))


# Each check fails when what it checks is broken. -------------------------------------------


def _setting(plugin: Plugin, name: str) -> dict[str, t.Any]:
    return next(s for s in plugin["settings"] if s["name"] == name)


def _kind_to_string(plugin: Plugin, kind: str) -> None:
    """The first setting of `kind` (alovoice has no date-time) made a plain string."""
    setting = next((s for s in plugin["settings"] if s["kind"] == kind), None)
    if setting is None:
        pytest.skip(f"{plugin['name']} has no {kind} setting")
    setting["kind"] = "string"


BREAKAGES: dict[str, t.Callable[[Plugin], object]] = {
    "a setting dropped": lambda p: p["settings"].pop(),
    "a setting renamed": lambda p: _setting(p, "request_timeout").update(name="timeout"),
    "a setting added": lambda p: p["settings"].append({"name": "extra", "kind": "string"}),
    "a kind changed": lambda p: _setting(p, "backoff_ms").update(kind="string"),
    "a date-time as a string": lambda p: _kind_to_string(p, "date_iso8601"),
    "an enum as a string": lambda p: _kind_to_string(p, "options"),
    "a secret not sensitive": lambda p: _setting(p, "token").pop("sensitive", None),
    "a non-secret sensitive": lambda p: _setting(p, "max_retries").update(sensitive=True),
    "a description changed": lambda p: _setting(p, "max_retries").update(description="Retries."),
    "a default changed": lambda p: _setting(p, "max_retries").update(value=6),
    "a default dropped": lambda p: _setting(p, "request_timeout").pop("value"),
    "a capability added": lambda p: p["capabilities"].append("log-based"),
    "a capability dropped": lambda p: p["capabilities"].remove("state"),
}


@pytest.mark.parametrize("tap", TAPS)
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_about_check_fails_on(
    breakage: str, tap: str, definitions: dict[str, Plugin], abouts: dict[str, About]
) -> None:
    plugin = copy.deepcopy(definitions[tap])
    BREAKAGES[breakage](plugin)
    assert about_disagreements(plugin, abouts[tap]) != []


def test_about_check_fails_on_a_changed_about(
    definitions: dict[str, Plugin], abouts: dict[str, About]
) -> None:
    changed = copy.deepcopy(abouts["tap-twin24"])
    changed["settings"]["properties"]["filter_period_by"]["enum"].append("endedAt")
    changed["capabilities"].remove("batch")
    changed["settings"]["required"].append("email")
    problems = about_disagreements(definitions["tap-twin24"], changed)
    assert any("options" in p for p in problems), problems
    assert any("capabilities" in p for p in problems), problems
    assert any("lacks a required setting" in p for p in problems), problems


def _without(key: str) -> t.Callable[[Plugin], object]:
    return lambda plugin: plugin.pop(key)


HUB_BREAKAGES: dict[str, t.Callable[[Plugin], object]] = {
    **{f"no {key}": _without(key) for key in REQUIRED},
    "empty keywords": lambda p: p.update(keywords=[]),
    "a group names no setting": lambda p: p["settings_group_validation"][0].append("nothing"),
    "an unknown field": lambda p: p.update(repository="https://example.com"),
    "an unknown kind": lambda p: _setting(p, "max_retries").update(kind="number"),
    "an unknown setting field": lambda p: _setting(p, "max_retries").update(default=5),
    "an unknown maintenance status": lambda p: p.update(maintenance_status="stable"),
    "a pip_url with a path": lambda p: p.update(pip_url="-e ."),
    "an executable that is no script": lambda p: p.update(executable="tap-other"),
    "a namespace of another package": lambda p: p.update(namespace="tap_other"),
}


@pytest.mark.parametrize("breakage", HUB_BREAKAGES)
def test_hub_check_fails_on(breakage: str, definitions: dict[str, Plugin]) -> None:
    plugin = copy.deepcopy(definitions["tap-twin24"])
    HUB_BREAKAGES[breakage](plugin)
    assert hub_problems(plugin) != []


@pytest.mark.parametrize("key", GENERATED_KEYS)
def test_meltano_yml_check_fails_on_a_difference(key: str, definitions: dict[str, Plugin]) -> None:
    entry = copy.deepcopy(meltano_extractors(MELTANO_YML.read_text(encoding="utf-8"))["tap-aiokk"])
    entry[key] = entry[key][:-1]
    assert meltano_disagreements(entry, definitions["tap-aiokk"]) == [
        f"{key} differs from the Hub definition"
    ]


def test_stale_check_fails_on_a_changed_about(abouts: dict[str, About]) -> None:
    changed = copy.deepcopy(abouts)
    changed["tap-alovoice"]["settings"]["properties"]["max_wait"]["default"] = 600
    assert stale_files(rendered(changed)) == ["tap_alovoice/meltano-hub.yml", "meltano.yml"]


def test_stale_check_fails_on_an_edited_file(abouts: dict[str, About]) -> None:
    expected = rendered(abouts)
    path = hub_path("tap-aiokk")
    expected[path] = expected[path].replace("beta", "active")
    assert stale_files(expected) == ["tap_aiokk/meltano-hub.yml"]
