"""Settings as a data engineer gives them: in files, from the environment, as text or numbers.

- ``--config=ENV`` reads ``<TAP_NAME>_<SETTING>`` variables from the process environment and
  from a ``.env`` file in the working directory, the environment winning (as Meltano does). It
  never looks for a ``.env`` elsewhere: the SDK's own lookup walks up from the installed package,
  so a ``.env`` in a checkout that holds the virtual environment would win over the environment.
- A number, a boolean, a list or an object given as text (as every environment variable is) is
  read as its setting's type, then checked like any other value.
- A setting the tap does not know is named in one warning, with the closest known one; so is a
  ``<TAP_NAME>_...`` variable that names no setting, whether or not ``--config=ENV`` is used
  (Meltano passes the project's ``.env`` and the shell's variables to the tap as they are).
- A relative path setting starts in the Meltano project's folder (``$MELTANO_PROJECT_ROOT``),
  not wherever Meltano was started from; without Meltano, in the working directory.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from singer_sdk import typing as th

TRUE = frozenset({"true", "1", "yes", "on"})
#: Set by Meltano for every plugin it runs: the folder of meltano.yml.
PROJECT_ROOT = "MELTANO_PROJECT_ROOT"
#: Set by Meltano for the extractor it runs: its name in meltano.yml (an inherited one's too).
EXTRACTOR_NAME = "MELTANO_EXTRACTOR_NAME"
#: Settings that became whole numbers, for the warning that names an unknown one.
RENAMED = {"backoff_factor": "backoff_ms, in milliseconds"}


def timeout_setting(default_s: int) -> th.Property[t.Any]:
    """The ``request_timeout`` setting that ``KitStream.timeout`` reads."""
    return th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        default=default_s,
        description="Seconds to wait for the server at any point of a request.",
    )


def retries_setting(
    description: str = "Retries of a request after 429, 5xx, a timeout, a dropped connection "
    "or a cut-off body, before the run fails.",
) -> th.Property[t.Any]:
    """The ``max_retries`` setting that ``KitStream.backoff_max_tries`` reads; a tap whose
    retries mean more (alovoice's submissions) says so in its own ``description``."""
    return th.Property("max_retries", th.IntegerType(minimum=0), default=5, description=description)


def backoff_setting(default_ms: int) -> th.Property[t.Any]:
    """The ``backoff_ms`` setting that the kit's retry policy (``KitStream``) reads."""
    return th.Property(
        "backoff_ms",
        th.IntegerType(minimum=0),
        title="Backoff (ms)",
        default=default_ms,
        description="First wait between retries, in milliseconds; it doubles on each "
        "retry, up to 300 s. A Retry-After header from the server takes precedence (up to "
        "300 s).",
    )


#: The setting that brings back the SDK's lines the kit leaves out of the log (``logs``).
LOG_DETAILS = "log_details"


def log_details_setting() -> th.Property[t.Any]:
    """The ``log_details`` setting that ``KitTap`` reads (see ``logs``)."""
    return th.Property(
        LOG_DETAILS,
        th.BooleanType,
        title="Log details",
        default=False,
        description="Log every request's metrics (METRIC lines) and every sync of a child "
        "stream, as the SDK does: for debugging. A long run then writes lines in proportion "
        "to its requests and records; without it, the log says which streams run, a progress "
        "line every 30 s and the totals at the end.",
    )


def url_error(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the base URL setting ``name``, or None when it can.

    An http(s) scheme and a host: ``http:example.com`` or ``https:///v1`` would otherwise fail
    only at the first request, as a connection error that the retries make look transient.
    A value that is not text is the JSON Schema check's to report.
    """
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return None
    return f"{name}: {value!r} is not an http(s) URL with a host, such as https://example.com"


FALSE = frozenset({"false", "0", "no", "off"})


def environment_config(
    schema: t.Mapping[str, t.Any],
    prefix: str,
    environ: t.Mapping[str, str] | None = None,
    dotenv: Path | None = None,
) -> dict[str, str]:
    """The settings given as ``<prefix><SETTING>`` variables, as text.

    ``environ`` defaults to the process environment and ``dotenv`` to ``.env`` in the working
    directory; a variable in ``environ`` wins over the same one in ``dotenv``.
    """
    environ = os.environ if environ is None else environ
    dotenv = Path.cwd() / ".env" if dotenv is None else dotenv
    from_file = {k: v for k, v in dotenv_values(dotenv).items() if v is not None}
    variables = {**from_file, **environ}
    return {  # an empty variable is an unset one, as in Meltano
        name: variables[variable_name(prefix, name)]
        for name in schema.get("properties", {})
        if variables.get(variable_name(prefix, name))
    }


def variable_name(prefix: str, setting: str) -> str:
    """``TAP_AIOKK_LOOKBACK_MINUTES`` for ``lookback_minutes``."""
    return prefix + setting.upper().replace("-", "_")


def setting_path(value: str, environ: t.Mapping[str, str] | None = None) -> Path:
    """The absolute path that the path setting ``value`` names.

    ``~`` is the home folder. A relative path starts in ``$MELTANO_PROJECT_ROOT`` when it is set:
    Meltano sets it for every plugin it runs, and a scheduler may start Meltano from any folder
    of the project or outside it (``meltano --cwd``), so the working directory is not the folder
    a path in meltano.yml or .env was written for. Without it, in the working directory.
    """
    environ = os.environ if environ is None else environ
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(environ.get(PROJECT_ROOT) or Path.cwd()) / path
    return Path(os.path.abspath(path))  # `..` dropped as written: no link is followed


def describe_path(value: str, environ: t.Mapping[str, str] | None = None) -> str:
    """The absolute path of ``value`` for a message, saying where a relative one started."""
    environ = os.environ if environ is None else environ
    resolved = setting_path(value, environ)
    if Path(value).expanduser().is_absolute():
        return str(resolved)
    start = f"${PROJECT_ROOT}" if environ.get(PROJECT_ROOT) else "the working directory"
    return f"{resolved} ({value} from {start})"


def batch_root(url: str, environ: t.Mapping[str, str] | None = None) -> str:
    """The SDK's ``batch_config.storage.root`` with a relative local folder made absolute (see
    ``setting_path``): ``output/batches`` and ``file://output/batches`` start in the working
    directory otherwise. A root elsewhere (``s3://...``) is left as it is."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return "file://" + str(setting_path(parts.netloc + parts.path, environ))
    if parts.scheme:  # `C:/x` reads as scheme `c`: left as it is too
        return url
    return str(setting_path(url, environ))


def variable_prefix(plugin: str) -> str:
    """``TAP_AIOKK_SALES_`` for the plugin ``tap-aiokk-sales``, as Meltano names its variables."""
    return re.sub(r"[^A-Z0-9]", "_", plugin.upper()) + "_"


def unknown_variables(
    schema: t.Mapping[str, t.Any],
    prefix: str,
    environ: t.Mapping[str, str] | None = None,
    dotenv: Path | None = None,
    given: t.Mapping[str, t.Any] | None = None,
) -> list[str]:
    """``<prefix>...`` variables that name no setting, from ``environ`` (the process
    environment by default) and the ``dotenv`` file when one is given.

    Left out, as Meltano 4.4 sets them for the extractor it runs (``tap-aiokk``, or one that
    inherits from it, such as ``tap-aiokk-sales`` or ``tap-aiokk--eu``): its extras
    (``TAP_AIOKK__SELECT``, ``TAP_AIOKK_SALES__LOAD_SCHEMA``), each setting given a value
    (``TAP_AIOKK_SALES_TOKEN``), the values of an object setting one by one
    (``TAP_AIOKK_STREAM_MAPS_DIALOGS_X``), and a key of the config that no setting has
    (``given``: its config key gets a warning of its own). And the SDK's ``<prefix>LOGLEVEL``.
    """
    environ = os.environ if environ is None else environ
    names = {*(dotenv_values(dotenv) if dotenv is not None else {}), *environ}
    given = given or {}
    known = {name.upper().replace("-", "_") for name in schema.get("properties", {})}
    objects = {
        name.upper().replace("-", "_")
        for name, spec in schema.get("properties", {}).items()
        if "object" in _types(spec)
    } | {name.upper() for name, value in given.items() if isinstance(value, dict)}
    given_names = {name.upper() for name in given}

    def meltanos(rest: str) -> bool:
        words = "_" + rest + "_"
        return (
            rest.startswith("_")
            or "__" in rest
            or rest in known | given_names
            or any(words.endswith(f"_{name}_") for name in known)
            or any(f"_{name}_" in words for name in objects)
        )

    return sorted(
        name
        for name in names
        if name.startswith(prefix)
        and name != prefix + "LOGLEVEL"
        and not meltanos(name[len(prefix) :])
    )


def unknown_variable_lines(
    schema: t.Mapping[str, t.Any],
    prefix: str,
    tap: str,
    variables: t.Iterable[str],
    renamed: t.Mapping[str, str] | None = None,
) -> list[str]:
    """One sentence per variable of ``unknown_variables``, naming the closest setting's."""
    known = list(schema.get("properties", {}))
    renamed = renamed or {}
    lines = []
    for variable in variables:
        name = variable[len(prefix) :].lower()
        said = f"{variable} is not a setting of {tap} and is ignored"
        if name in renamed:
            lines.append(f"{said}: it is now {renamed[name]}")
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {variable_name(prefix, close[0])} ({close[0]})?" if close else ""
        lines.append(said + hint)
    return lines


def coerce(
    config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any], *, text_lists: bool = False
) -> dict[str, t.Any]:
    """``config`` with each text value read as its setting's type where it reads as one.

    Lists and objects are read from text only with ``text_lists`` (values from the
    environment, where everything is text); in a config file, text where a list belongs is a
    mistake to name. A text that does not read is left as it is, for the schema check to name.
    """
    properties = schema.get("properties", {})
    return {
        name: _read(value, properties[name], text_lists=text_lists) if name in properties else value
        for name, value in config.items()
    }


def _types(spec: t.Mapping[str, t.Any]) -> set[str]:
    declared = spec.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    for option in spec.get("anyOf", ()):
        if isinstance(option, dict):
            types |= _types(option)
    return types - {"null"}


def _read(  # noqa: PLR0911 - one per type
    value: object, spec: t.Mapping[str, t.Any], *, text_lists: bool
) -> object:
    if not isinstance(value, str):
        return value
    types = _types(spec)
    text = value.strip()
    if "integer" in types or "number" in types:
        number = _number(text, whole="number" not in types)
        if number is not None:
            return number
    if "boolean" in types and text.lower() in TRUE | FALSE:
        return text.lower() in TRUE
    if not text_lists:
        return value
    if "array" in types:
        return _array(text, spec.get("items") or {})
    if "object" in types and text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def _number(text: str, *, whole: bool) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if number.is_integer() and "." not in text and "e" not in text.lower():
        return int(text)
    return None if whole else number


def _array(text: str, items: t.Mapping[str, t.Any]) -> object:
    """A JSON list (``["a", "b"]``), or words separated by commas (``a,b``); ``""`` is []."""
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError:
            return text
    else:
        values = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(values, list):
        return text
    return [_read(item, items, text_lists=True) for item in values]


def unknown_settings(
    config: t.Mapping[str, t.Any],
    schema: t.Mapping[str, t.Any],
    renamed: t.Mapping[str, str] | None = None,
) -> list[str]:
    """One sentence per setting the tap does not know, naming the closest one it knows."""
    known = list(schema.get("properties", {}))
    renamed = renamed or {}
    lines = []
    for name in config:
        if name in known:
            continue
        if name in renamed:
            lines.append(f"unknown setting {name!r} is ignored: it is now {renamed[name]}")
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        lines.append(f"unknown setting {name!r} is ignored{hint}")
    return lines
