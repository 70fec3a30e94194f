"""The Meltano Hub definitions and meltano.yml's extractors say what the taps' ``--about`` says.

Each check is a function returning what it found wrong, so that the tests below can also show
that it does find something when a definition, meltano.yml or --about is changed in memory.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
import typing as t
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from yamllint import linter
from yamllint.config import YamlLintConfig

from harness.meltano_project import meltano
from tools import meltano_files
from tools.meltano_files import EXTRACTORS_YML
from tools.plugin_definitions import (
    GENERATED_KEYS,
    ROOT,
    TAPS,
    Release,
    about,
    definition,
    hub_form,
    hub_path,
    hub_yaml,
    release_gaps,
    rendered,
)

if t.TYPE_CHECKING:
    import subprocess
    from pathlib import Path

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
# Meltano Hub's own checks, copied from meltano/hub (tests/hub/README.md): the JSON Schema its
# plugin_schema_validate.py validates an extractor's definition with, and its yamllint config.
HUB = ROOT / "tests" / "hub"
HUB_SCHEMAS = HUB / "schemas"
HUB_YAMLLINT = HUB / "yamllint.yaml"


def hub_validator() -> jsonschema.Draft7Validator:
    """As Hub builds it: every schema registered under its $id, the extractors' one at the top."""
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
        for path in sorted(HUB_SCHEMAS.glob("*/*.schema.json"))
        for schema in [json.loads(path.read_text(encoding="utf-8"))]
    ]
    schema = json.loads((HUB_SCHEMAS / "plugin_definitions" / "extractors.schema.json").read_text())
    return jsonschema.Draft7Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


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
    if sorted(plugin.get("capabilities", [])) != sorted(about["capabilities"]):
        problems.append(f"capabilities {plugin.get('capabilities')} != {about['capabilities']}")
    for key in ("name", "executable"):
        if plugin.get(key) != about["name"]:
            problems.append(f"{key} {plugin.get(key)!r} is not the tap's name {about['name']!r}")  # noqa: PERF401
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


def hub_problems(plugin: Plugin, tap: str, release: Release | None = None) -> list[str]:
    """What keeps the definition of ``tap`` from being a complete, valid Meltano Hub
    definition."""
    release = release or Release.of(tap)
    problems = [f"no {key}" for key in REQUIRED if not plugin.get(key)]
    problems += [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in hub_validator().iter_errors(plugin)
    ]
    names = {setting.get("name") for setting in plugin.get("settings", [])}
    for group in plugin.get("settings_group_validation", []):
        problems += [f"settings group names {name}, no setting" for name in set(group) - names]
    if plugin.get("pip_url") != release.pip_url:
        problems.append(f"pip_url {plugin.get('pip_url')!r} is not {release.pip_url!r}")
    if plugin.get("variant") != release.variant:
        problems.append(f"variant {plugin.get('variant')!r} is not {release.variant!r}")
    project = release_scripts()
    if plugin.get("executable") not in project:
        problems.append(f"executable {plugin.get('executable')!r} is no console script")
    elif not project[plugin["executable"]].startswith(f"{plugin.get('namespace')}."):
        problems.append(f"namespace {plugin.get('namespace')} is not the executable's package")
    try:
        if hub_form(plugin) != plugin or list(hub_form(plugin)) != list(plugin):
            problems.append("not in the order Hub keeps its definitions (run `make docs`)")
    except (KeyError, TypeError) as error:
        problems.append(f"cannot be put in Hub's order: {error!r}")
    return problems


def release_scripts() -> dict[str, str]:
    """The console scripts of the taps' distributions (each tap's pyproject.toml)."""
    scripts: dict[str, str] = {}
    for spec in TAPS.values():
        text = (ROOT / spec.module / "pyproject.toml").read_text(encoding="utf-8")
        scripts |= tomllib.loads(text)["project"]["scripts"]
    return scripts


def lint_problems(text: str) -> list[str]:
    """What Hub's yamllint rules find in a definition's text."""
    config = YamlLintConfig(HUB_YAMLLINT.read_text(encoding="utf-8"))
    return [f"{p.line}:{p.column} {p.message} ({p.rule})" for p in linter.run(text, config)]


def meltano_disagreements(entry: Plugin, plugin: Plugin) -> list[str]:
    """Where meltano.yml's extractor (in --about's order) says otherwise than the Hub definition
    (in Hub's)."""
    ordered = hub_form(entry)
    return [
        f"{key} differs from the Hub definition"
        for key in ("name", "namespace", "executable", *GENERATED_KEYS)
        if ordered.get(key) != plugin.get(key)
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
    assert hub_problems(definitions[tap], tap) == []


@pytest.mark.parametrize("tap", TAPS)
def test_meltano_yml_extractor_matches_definition(tap: str, definitions: dict[str, Plugin]) -> None:
    entry = meltano_extractors(EXTRACTORS_YML.read_text(encoding="utf-8"))[tap]
    assert meltano_disagreements(entry, definitions[tap]) == [], "run `make docs`"


def test_generated_files_are_current(abouts: dict[str, About]) -> None:
    assert stale_files(rendered(abouts)) == [], "run `make docs`"


@pytest.mark.slow  # a Meltano project with every extractor installed
def test_meltano_accepts_the_extractors(definitions: dict[str, Plugin], tmp_path: Path) -> None:
    """meltano reads every setting of the demo environment as declared, secrets redacted; and
    the same check fails on a copy of the project where aiokk's token is not marked sensitive
    and its timezone (set in the demo environment) is not declared."""
    project = meltano_files.project()  # meltano.yml with what it includes, in one file
    project.pop("include_paths")
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
    assert hub_problems(plugin, "tap-twin24") != []


@pytest.mark.parametrize("key", [key for key in GENERATED_KEYS if key != "schema"])
def test_meltano_yml_check_fails_on_a_difference(key: str, definitions: dict[str, Plugin]) -> None:
    entry = copy.deepcopy(
        meltano_extractors(EXTRACTORS_YML.read_text(encoding="utf-8"))["tap-aiokk"]
    )
    entry[key] = entry[key][:-1]
    assert meltano_disagreements(entry, definitions["tap-aiokk"]) == [
        f"{key} differs from the Hub definition"
    ]


def test_stale_check_fails_on_a_changed_about(abouts: dict[str, About]) -> None:
    changed = copy.deepcopy(abouts)
    changed["tap-alovoice"]["settings"]["properties"]["max_wait"]["default"] = 600
    assert stale_files(rendered(changed)) == [
        "tap_alovoice/meltano-hub.yml",
        "meltano/extractors.meltano.yml",
    ]


def test_stale_check_fails_on_an_edited_file(abouts: dict[str, About]) -> None:
    expected = rendered(abouts)
    path = hub_path("tap-aiokk")
    expected[path] = expected[path].replace("beta", "active")
    assert stale_files(expected) == ["tap_aiokk/meltano-hub.yml"]


# Hub's yamllint rules, the aiokk schema overrides, the release facts, the version. ------------


@pytest.mark.parametrize("tap", TAPS)
def test_definition_is_clean_by_hubs_yamllint(tap: str) -> None:
    assert lint_problems(hub_path(tap).read_text(encoding="utf-8")) == []


LINT_BREAKAGES: dict[str, t.Callable[[str], str]] = {
    "top-level keys in reverse": lambda text: yaml.safe_dump(
        dict(reversed(yaml.safe_load(text).items())), sort_keys=False
    ),
    "indented sequences": lambda text: text.replace("\n- about", "\n  - about", 1).replace(
        "\n- activate-version", "\n  - activate-version", 1
    ),
    "a flow mapping": lambda text: text + "metadata: {dialogs: {replication-key: x}}\n",
    "three-space indentation": lambda text: text.replace("\n- about", "\n   - about", 1),
}


@pytest.mark.parametrize("breakage", LINT_BREAKAGES)
def test_lint_check_fails_on(breakage: str) -> None:
    text = hub_path("tap-aiokk").read_text(encoding="utf-8")
    assert lint_problems(LINT_BREAKAGES[breakage](text)) != []


def test_no_definition_depends_on_a_schema_extra(definitions: dict[str, Plugin]) -> None:
    """`meltano add --from-ref` drops a definition's `schema` extra, so none has one: aiokk's
    lists are declared without `items` in the tap's own catalog (tap_aiokk/tests/test_catalog.py),
    and meltano.yml carries no extra either, so this project loads as a user's does."""
    extractors = meltano_extractors(EXTRACTORS_YML.read_text(encoding="utf-8"))
    for tap, plugin in definitions.items():
        assert "schema" not in plugin, tap
        assert "schema" not in extractors[tap], tap


def test_every_tap_reports_the_version_its_pyproject_gives(abouts: dict[str, About]) -> None:
    """Each tap's --about names its own distribution and version (tap_*/pyproject.toml)."""
    for tap in TAPS:
        release = Release.of(tap)
        assert release.name == tap
        assert abouts[tap]["version"] == release.version, tap
        assert f"{release.wheel}" in hub_path(tap).read_text(encoding="utf-8"), tap


def test_pip_url_installs_the_taps_and_the_librarys_wheels_until_the_repository_is_known() -> None:
    """The tap's wheel and the library's, nothing else: no other tap."""
    release = Release.of("tap-twin24")
    assert release.library is not None
    assert release.pip_url == (
        f"${{MELTANO_PROJECT_ROOT}}/tap_twin24-{release.version}-py3-none-any.whl "
        f"${{MELTANO_PROJECT_ROOT}}/singer_tap_kit-{release.library.version}-py3-none-any.whl"
    )
    bumped = dataclasses.replace(release, version="9.8.7")
    assert bumped.pip_url.split()[0].endswith("/tap_twin24-9.8.7-py3-none-any.whl")
    assert not any(
        other.replace("-", "_") in release.pip_url for other in TAPS if other != "tap-twin24"
    )


def test_release_gaps_name_what_hub_still_needs() -> None:
    gaps = release_gaps(Release.of("tap-twin24"))
    expected = ("[project.urls] Repository", "[project.urls] Documentation", "authors")
    for words in expected:
        assert any(words in gap for gap in gaps), (words, gaps)
    assert sum("logo_url" in gap for gap in gaps) == len(TAPS), gaps


def test_a_complete_release_gives_hub_every_field(abouts: dict[str, About]) -> None:
    """With the repository, documentation and authors filled in, the definitions carry `repo`,
    `docs`, a git pip_url of the tap and the library, each at its tag and in its folder, and
    the owner as variant, and Hub takes them."""
    repository = "https://github.com/Example-Org/call-analytics-taps"
    for tap in TAPS:
        release = dataclasses.replace(
            Release.of(tap),
            urls={"Repository": repository, "Documentation": f"{repository}#readme"},
            authors=("Example Org",),
        )
        assert release.library is not None
        gaps = release_gaps(release)
        assert gaps and all("logo_url" in gap for gap in gaps), gaps
        plugin = hub_form(definition(tap, abouts[tap], release))
        assert plugin["repo"] == repository
        assert plugin["docs"].endswith("#readme")
        assert plugin["variant"] == "example-org"
        assert plugin["pip_url"] == (
            f"git+{repository}.git@{tap}/v{release.version}#subdirectory={TAPS[tap].module} "
            f"git+{repository}.git@singer-tap-kit/v{release.library.version}"
            "#subdirectory=singer_tap_kit"
        )
        assert hub_problems(plugin, tap, release) == []
        assert lint_problems(hub_yaml(tap, plugin)) == []
