"""Writes the taps' Meltano Hub definitions and meltano.yml's extractors from their ``--about``.

Each tap's ``--about --format=json`` gives its settings (name, type, description, default,
``secret``) and capabilities; the few facts it does not know (label, keywords, the vendor's
site, which settings are needed together) are in ``TAPS`` below, and what a
release says of itself (version, repository, documentation, authors) in the tap's own
pyproject.toml (``tap_*/pyproject.toml``) and the library's (``singer_tap_kit/pyproject.toml``),
which every tap installs with it. From them this writes ``tap_*/meltano-hub.yml``, in Meltano
Hub's plugin-definition format (https://docs.meltano.com/reference/plugin-definition-syntax) and
in the form Hub keeps its files (keys, settings and capabilities sorted, as Hub's yamllint and
its formatter want), and the ``capabilities``, ``settings_group_validation`` and ``settings`` of
the three extractors in meltano/extractors.meltano.yml, which meltano.yml includes (in
--about's order), leaving every other line of that file as it is.

``make docs`` runs it; ``tests/test_plugin_definitions.py`` fails when they have drifted.
``python -m tools.plugin_definitions --release`` says what a Hub submission still lacks
(RELEASING.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

from call_emulator.testing.hermetic import NEUTRAL_CWD, clean_environ
from tools.meltano_files import EXTRACTORS_YML

ROOT = Path(__file__).resolve().parent.parent
# The library every tap depends on: a tap's pip_url installs it too.
LIBRARY = ROOT / "singer_tap_kit"
HUB_FILE = "meltano-hub.yml"
# The variant until the repository is known; Hub names a variant after its repository's owner.
VARIANT = "call-analytics"
# A tap's logo, if any, for Hub's static/assets/logos/extractors/ (Hub serves it at LOGO_URL).
LOGO = ROOT / "assets" / "logos" / "{tap}.png"
LOGO_URL = "/assets/logos/extractors/{tap}.png"
# The keys this module writes into each extractor of meltano.yml; the others are hand-written.
GENERATED_KEYS = ("schema", "capabilities", "settings_group_validation", "settings")
# JSON Schema types of --about's settings -> Meltano setting kinds. Beware: meltano 4.4.1 casts
# a `decimal` setting given as text (an environment variable, .env) to Decimal and then fails
# to write the tap's config ("Object of type Decimal is not JSON serializable"); numbers
# written in meltano.yml are passed as they are.
KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}
# Words the generated labels spell out in capitals, as Meltano Hub does.
ACRONYMS = {"api": "API", "id": "ID", "ids": "IDs", "url": "URL"}
# Where long descriptions wrap (PyYAML breaks at the first space past it).
WIDTH = 86


@dataclass(frozen=True)
class Tap:
    """What a tap's Hub definition says that its --about does not."""

    module: str
    label: str
    description: str
    keywords: tuple[str, ...]
    settings_group_validation: tuple[tuple[str, ...], ...]
    """Each group: one minimal set of settings a run needs (--about's `required` is in each)."""
    domain_url: str | None = None
    maintenance_status: str = "beta"


TAPS: dict[str, Tap] = {
    "tap-aiokk": Tap(
        module="tap_aiokk",
        label="aiokk",
        description="AI analysis of phone calls: summaries, client loyalty, evaluation criteria "
        "and signal words",
        keywords=("meltano_sdk", "api", "call_analytics", "speech_analytics"),
        # aiokk's host differs per account, and no product site is known: no domain_url.
        settings_group_validation=(("api_url", "token"),),
    ),
    "tap-twin24": Tap(
        module="tap_twin24",
        label="twin24",
        description="Voice robots for phone calls: calls, their transcripts and call tasks",
        keywords=("meltano_sdk", "api", "call_analytics", "voice_robots"),
        domain_url="https://twin24.ai",
        # tap_twin24.tap: start_date, and email with password or a ready token.
        settings_group_validation=(("start_date", "email", "password"), ("start_date", "token")),
    ),
    "tap-alovoice": Tap(
        module="tap_alovoice",
        label="alovoice",
        description="AI analysis of recorded phone calls: transcripts and matched tags",
        keywords=("meltano_sdk", "api", "call_analytics", "speech_analytics"),
        domain_url="https://alovoice.uz",
        # tap_alovoice.tap: the token, and the calls to analyse in call_ids or call_ids_file.
        settings_group_validation=(("token", "call_ids"), ("token", "call_ids_file")),
    ),
}


@dataclass(frozen=True)
class Release:
    """What a distribution's pyproject.toml says of it: a tap's, with the library it installs
    too (``library``), or the library's."""

    name: str
    version: str
    urls: t.Mapping[str, str]
    authors: tuple[str, ...]
    folder: str = ""
    """The distribution's folder in the repository (``tap_twin24``), for a git pip_url."""
    library: Release | None = None

    @classmethod
    def read(cls, folder: Path, library: Release | None = None) -> Release:
        """The release of the distribution in ``folder`` (its pyproject.toml)."""
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
        project = tomllib.loads(text)["project"]
        return cls(
            name=project["name"],
            version=project["version"],
            urls=dict(project.get("urls", {})),
            authors=tuple(a["name"] for a in project.get("authors", ()) if a.get("name")),
            folder=folder.name,
            library=library,
        )

    @classmethod
    def of(cls, tap: str) -> Release:
        """The tap's release, with the library's."""
        return cls.read(ROOT / TAPS[tap].module, library=cls.read(LIBRARY))

    @property
    def tag(self) -> str:
        """The git tag of this release (RELEASING.md): ``tap-twin24/v0.2.0``."""
        return f"{self.name}/v{self.version}"

    @property
    def wheel(self) -> str:
        """The file name `uv build` gives the wheel (a pure-Python one, for any platform)."""
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-py3-none-any.whl"

    @property
    def repository(self) -> str | None:
        return self.urls.get("Repository")

    @property
    def owner(self) -> str | None:
        """The repository's owner, `https://github.com/OWNER/REPO` -> OWNER."""
        if not self.repository:
            return None
        return self.repository.rstrip("/").removesuffix(".git").rsplit("/", 2)[-2]

    @property
    def variant(self) -> str:
        return self.owner.lower() if self.owner else VARIANT

    @property
    def releases(self) -> tuple[Release, ...]:
        """This release and the library it installs too."""
        return (self, self.library) if self.library else (self,)

    @property
    def pip_url(self) -> str:
        """Where `meltano install` gets the tap and the library from; never a name someone else
        could register, and nothing else: no other tap.

        Until the repository is known: this version's wheels, in the Meltano project's folder
        (README, "In a project of your own"). Then: the repository at each one's tag, in its
        folder, the form Meltano Hub accepts.
        """
        if self.repository:
            repository = self.repository.rstrip("/").removesuffix(".git")
            return " ".join(
                f"git+{repository}.git@{each.tag}#subdirectory={each.folder}"
                for each in self.releases
            )
        return " ".join(f"${{MELTANO_PROJECT_ROOT}}/{each.wheel}" for each in self.releases)


def about(module: str) -> dict[str, t.Any]:
    """The tap's `--about --format=json`."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL_CWD,
        env=clean_environ(),
    )
    return t.cast("dict[str, t.Any]", json.loads(result.stdout))


def hub_path(tap: str) -> Path:
    return ROOT / TAPS[tap].module / HUB_FILE


def label(name: str) -> str:
    """`department_ids` -> `Department IDs`, for the settings --about gives no title."""
    return " ".join(ACRONYMS.get(word, word.capitalize()) for word in name.split("_"))


def option_label(value: str) -> str:
    """`updatedAt` -> `Updated At`."""
    return " ".join(
        word.capitalize() for word in re.sub(r"([a-z])([A-Z])", r"\1 \2", value).split()
    )


def kind(name: str, schema: t.Mapping[str, t.Any]) -> str:
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or ())
    non_null = [each for each in types if each != "null"]
    if len(non_null) != 1 or non_null[0] not in KINDS:
        msg = f"setting {name}: no Meltano kind for the JSON Schema type {types!r}"
        raise ValueError(msg)
    if "enum" in schema:
        return "options"
    if non_null[0] == "string" and schema.get("format") == "date-time":
        return "date_iso8601"
    return KINDS[non_null[0]]


def setting(name: str, schema: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """One entry of `settings`, from the setting's JSON Schema in --about."""
    entry: dict[str, t.Any] = {
        "name": name,
        "label": schema.get("title") or label(name),
        "kind": kind(name, schema),
    }
    if entry["kind"] == "options":
        entry["options"] = [
            {"label": option_label(value), "value": value}
            for value in schema["enum"]
            if value is not None
        ]
    if "default" in schema:
        entry["value"] = schema["default"]
    if schema.get("secret"):
        entry["sensitive"] = True
    if not schema.get("description"):
        msg = f"setting {name} has no description in --about"
        raise ValueError(msg)
    entry["description"] = schema["description"]
    return entry


def definition(
    tap: str, about: t.Mapping[str, t.Any], release: Release | None = None
) -> dict[str, t.Any]:
    """The tap's plugin definition, settings and capabilities in --about's order."""
    spec = TAPS[tap]
    release = release or Release.of(tap)
    if about["name"] != tap:
        msg = f"{spec.module} --about calls itself {about['name']}, not {tap}"
        raise ValueError(msg)
    settings = [setting(name, schema) for name, schema in about["settings"]["properties"].items()]
    names = {entry["name"] for entry in settings}
    required = set(about["settings"].get("required", ()))
    for group in spec.settings_group_validation:
        if not set(group) <= names or not required <= set(group):
            msg = (
                f"{tap}: settings group {group} names a non-setting or misses one of --about's "
                f"required settings {sorted(required)}"
            )
            raise ValueError(msg)
    plugin: dict[str, t.Any] = {
        "name": tap,
        "namespace": spec.module,
        "variant": release.variant,
        "label": spec.label,
        "description": spec.description,
        "keywords": list(spec.keywords),
    }
    if spec.domain_url:
        plugin["domain_url"] = spec.domain_url
    if release.repository:
        plugin["repo"] = release.repository
    if release.urls.get("Documentation"):
        plugin["docs"] = release.urls["Documentation"]
    if Path(str(LOGO).format(tap=tap)).exists():
        plugin["logo_url"] = LOGO_URL.format(tap=tap)
    plugin |= {
        "maintenance_status": spec.maintenance_status,
        # Meltano Hub requires a quality rating and assigns it itself; `unknown` until then.
        "quality": "unknown",
        "pip_url": release.pip_url,
        "executable": tap,
        "supported_python_versions": list(about["supported_python_versions"]),
    }
    plugin |= {
        "capabilities": list(about["capabilities"]),
        "settings_group_validation": [list(group) for group in spec.settings_group_validation],
        "settings": settings,
    }
    return plugin


def hub_form(plugin: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """`plugin` as Meltano Hub keeps it: every mapping's keys sorted (yamllint's key-ordering),
    and, as Hub's formatter (hub-utils' yaml_lint.fix_yaml) leaves them, capabilities, the names
    in each settings group and the settings (by name) sorted too."""
    hub = dict(plugin)
    if "capabilities" in hub:
        hub["capabilities"] = sorted(hub["capabilities"])
    if "settings_group_validation" in hub:
        hub["settings_group_validation"] = [sorted(g) for g in hub["settings_group_validation"]]
    if "settings" in hub:
        hub["settings"] = sorted(hub["settings"], key=lambda setting: setting["name"])
    return t.cast("dict[str, t.Any]", _sorted_keys(hub))


def _sorted_keys(value: t.Any) -> t.Any:
    if isinstance(value, t.Mapping):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(each) for each in value]
    return value


def dump(data: t.Any, width: int = WIDTH) -> str:
    """Block-style YAML in the given key order, wrapped at `width`: the same text every time."""
    return t.cast(
        "str",
        yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=width
        ),
    )


def hub_yaml(tap: str, plugin: t.Mapping[str, t.Any]) -> str:
    """The file: a comment, then the definition as Hub keeps it (lint-clean by Hub's yamllint)."""
    header = (
        f"# Meltano Hub plugin definition of {tap}, in the format of\n"
        "# https://docs.meltano.com/reference/plugin-definition-syntax.\n"
        f"# Generated by `make docs` (python -m tools.plugin_definitions) from `{tap} --about\n"
        "# --format=json` and pyproject.toml: do not edit it; change the tap, pyproject.toml or\n"
        "# tools/plugin_definitions.py instead. Before submitting it to Hub, see RELEASING.md.\n"
    )
    return header + dump(hub_form(plugin))


def _key_blocks(lines: list[str], indent: int) -> list[tuple[str | None, list[str]]]:
    """`lines` cut where a key at `indent` starts: (key, its lines); key None for what precedes."""
    key_line = re.compile(rf"^ {{{indent}}}([A-Za-z_][\w-]*):")
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in lines:
        match = key_line.match(line)
        if match:
            blocks.append((match.group(1), []))
        blocks[-1][1].append(line)
    return blocks


def _extractor_span(lines: list[str], name: str) -> tuple[int, int]:
    """Lines [start, end) of extractor `name`'s entry under plugins.extractors in the file."""
    try:
        section = lines.index("  extractors:\n", lines.index("plugins:\n"))
        start = lines.index(f"  - name: {name}\n", section)
    except ValueError:
        msg = f"{EXTRACTORS_YML.name} has no `  - name: {name}` under plugins.extractors"
        raise LookupError(msg) from None
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
        end += 1
    return start, end


def generated_part(plugin: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What meltano.yml's extractor takes over from the Hub definition."""
    return {key: plugin[key] for key in GENERATED_KEYS if key in plugin}


def meltano_yml(text: str, plugins: t.Mapping[str, t.Mapping[str, t.Any]]) -> str:
    """`text` (meltano.yml) with each extractor's generated keys replaced, after its own keys."""
    lines = text.splitlines(keepends=True)
    for name, plugin in plugins.items():
        start, end = _extractor_span(lines, name)
        kept = [
            line
            for key, block in _key_blocks(lines[start + 1 : end], indent=4)
            if key not in GENERATED_KEYS
            for line in block
        ]
        trailing: list[str] = []
        while kept and not kept[-1].strip():
            trailing.insert(0, kept.pop())
        body = dump(generated_part(plugin), width=WIDTH - 4)
        generated = [f"    {line}" if line.strip() else line for line in body.splitlines(True)]
        lines[start:end] = [lines[start], *kept, *generated, *trailing]
    result = "".join(lines)
    extractors = {e["name"]: e for e in yaml.safe_load(result)["plugins"]["extractors"]}
    for name, plugin in plugins.items():
        if generated_part(extractors[name]) != generated_part(plugin):
            msg = f"meltano.yml's {name} does not read back as written"
            raise AssertionError(msg)
    return result


def rendered(
    abouts: t.Mapping[str, t.Mapping[str, t.Any]], release: Release | None = None
) -> dict[Path, str]:
    """Every file this module writes, by path, with the text it should hold."""
    plugins = {tap: definition(tap, abouts[tap], release) for tap in TAPS}
    files = {hub_path(tap): hub_yaml(tap, plugin) for tap, plugin in plugins.items()}
    files[EXTRACTORS_YML] = meltano_yml(EXTRACTORS_YML.read_text(encoding="utf-8"), plugins)
    return files


def release_gaps(release: Release, taps: t.Iterable[str] = TAPS) -> list[str]:
    """What the Hub definitions still lack for a submission to Meltano Hub, and where from."""
    gaps = []
    pyproject = f"{release.folder}/pyproject.toml" if release.folder else "pyproject.toml"
    if not release.repository:
        gaps.append(
            f"{pyproject} [project.urls] Repository: gives `repo`, `pip_url` "
            "(git+REPOSITORY.git@TAG#subdirectory=FOLDER) and `variant` (the repository's owner)"
        )
    if not release.urls.get("Documentation"):
        gaps.append(f"{pyproject} [project.urls] Documentation: gives `docs`")
    gaps += [
        f"{Path(str(LOGO).format(tap=tap)).relative_to(ROOT)}: gives {tap}'s `logo_url`"
        for tap in taps
        if not Path(str(LOGO).format(tap=tap)).exists()
    ]
    if not release.authors:
        gaps.append(f"{pyproject} [project] authors: gives the maintainer entry's label")
    return gaps


def maintainer_entry(release: Release) -> str:
    """The entry Hub's _data/maintainers.yml needs for the definitions' variant."""
    url = release.repository.rstrip("/").rsplit("/", 1)[0] if release.repository else None
    label = release.authors[0] if release.authors else None
    return dump({release.variant: {"label": label, "name": release.variant, "url": url}})


def main(argv: t.Sequence[str] = ()) -> int:
    releases = {tap: Release.of(tap) for tap in TAPS}
    if list(argv) == ["--release"]:
        gaps = [gap for tap, release in releases.items() for gap in release_gaps(release, [tap])]
        for gap in gaps:
            print(f"missing: {gap}")
        entry = maintainer_entry(releases["tap-aiokk"])
        print(f"Hub's _data/maintainers.yml needs:\n{entry}", end="")
        return 1 if gaps else 0
    if argv:
        print("usage: python -m tools.plugin_definitions [--release]", file=sys.stderr)
        return 2
    abouts = {tap: about(spec.module) for tap, spec in TAPS.items()}
    for path, text in rendered(abouts).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
