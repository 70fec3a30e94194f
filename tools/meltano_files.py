"""meltano.yml and the files it includes (`include_paths`), read as Meltano merges them.

meltano.yml holds what a user edits (the shards, the environments, the jobs); the plugins'
definitions are in meltano/*.meltano.yml: the extractors (written in part by
tools/plugin_definitions.py), the loaders (their pip_url by tools/pins.py) and the utilities.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the lint group

ROOT = Path(__file__).resolve().parent.parent
MELTANO_YML = ROOT / "meltano.yml"
EXTRACTORS_YML = ROOT / "meltano" / "extractors.meltano.yml"
LOADERS_YML = ROOT / "meltano" / "loaders.meltano.yml"
UTILITIES_YML = ROOT / "meltano" / "utilities.meltano.yml"


def included(root: Path = ROOT) -> list[Path]:
    """The files meltano.yml in ``root`` includes, in the order of its include_paths."""
    main = yaml.safe_load((root / "meltano.yml").read_text(encoding="utf-8"))
    return [
        path
        for pattern in main.get("include_paths", ())
        for path in sorted(root.glob(str(pattern).removeprefix("./")))
    ]


def project(root: Path = ROOT) -> dict[str, t.Any]:
    """meltano.yml in ``root`` with the plugins of the files it includes, by plugin type."""
    merged = t.cast("dict[str, t.Any]", yaml.safe_load((root / "meltano.yml").read_text("utf-8")))
    plugins = merged.setdefault("plugins", {})
    for path in included(root):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, entries in (part.get("plugins") or {}).items():
            plugins.setdefault(kind, [])
            plugins[kind] = [*entries, *plugins[kind]]
    return merged


def plugins(kind: str, root: Path = ROOT) -> dict[str, dict[str, t.Any]]:
    """The plugins of one type (``extractors``, ``loaders``...) by name, from every file."""
    return {entry["name"]: entry for entry in project(root)["plugins"].get(kind, [])}
