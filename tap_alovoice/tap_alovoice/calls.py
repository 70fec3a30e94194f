"""The call ids to collect: the `call_ids` setting and the lines of `call_ids_file`.

alovoice has no method that lists calls; the ids come from the PBX's own call records.
"""

from __future__ import annotations

import typing as t

from singer_tap_kit.settings import describe_path, setting_path


class CallListError(Exception):
    """The call ids cannot be read; the text names the setting and says why."""


def configured_call_ids(config: t.Mapping[str, t.Any]) -> list[str]:
    """Both sources together, without repeats, in the order given (the list first).

    In the file, one id per line; blank lines and lines starting with ``#`` are skipped. An
    empty result is an error, not a run with nothing to do: the state keeps only the settled
    calls still listed, so a run on an empty list (an export that has not written its file yet)
    would forget every call settled before.
    """
    listed = config.get("call_ids")
    path = config.get("call_ids_file")
    if listed is None and not path:
        msg = "no calls to collect: set call_ids, call_ids_file, or both"
        raise CallListError(msg)
    ids = [str(value).strip() for value in listed or []]
    if path:
        ids += _read_lines(str(path))
    unique = list(dict.fromkeys(i for i in ids if i))
    if not unique:
        raise CallListError(_nothing_listed(listed, path))
    return unique


def _nothing_listed(listed: object, path: object) -> str:
    named = describe_path(str(path)) if path else ""
    if listed is not None and path:
        where = f"call_ids, call_ids_file: the list is empty and {named} lists no call id"
    elif path:
        where = f"call_ids_file: {named} lists no call id"
    else:
        where = "call_ids: the list is empty"
    return f"{where}; no run on an empty call list, so the state is kept as it is"


def _read_lines(path: str) -> list[str]:
    """The file's ids; a relative path starts in the Meltano project (``setting_path``), and
    a message names the absolute path tried."""
    try:
        text = setting_path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        msg = f"call_ids_file: cannot read {describe_path(path)}: {reason}"
        raise CallListError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"call_ids_file: {describe_path(path)} is not UTF-8 text"
        raise CallListError(msg) from exc
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]
