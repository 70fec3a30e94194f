"""The Singer state a tap is given, checked before the SDK reads it.

The SDK expects ``{"bookmarks": {stream: {...}}}`` and ends in a traceback on any other shape.
A state of the wrong shape ends the run with one line that says what is wrong and how to fix
it; a state that holds only other streams' bookmarks (written by another tap, say) is named in
a warning, since the run then starts from scratch.
"""

from __future__ import annotations

import typing as t

FIX = "fix it with `meltano state set` or clear it with `meltano state clear --force`"


class StateError(ValueError):
    """The state cannot be used; the text says which part and why."""


def unusable(reason: str) -> StateError:
    return StateError(f"cannot use --state: {reason}; {FIX}")


def shown(value: object) -> str:
    """A value's JSON kind and a short sample, for an error line."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    kind = "null" if value is None else kinds.get(type(value), "a number")
    sample = repr(value)
    return kind if value is None else f"{kind} ({sample[:40]}{'...' if len(sample) > 40 else ''})"


def shape_problem(state: object) -> str | None:  # noqa: PLR0911 - one per problem
    """What keeps the SDK from reading ``state``, or None."""
    if not isinstance(state, dict):
        return f"it is {shown(state)}, not an object"
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return f"bookmarks must be an object, not {shown(bookmarks)}"
    for name, bookmark in bookmarks.items():
        if not isinstance(bookmark, dict):
            return f"bookmarks.{name} must be an object, not {shown(bookmark)}"
        markers = bookmark.get("progress_markers", {})
        if not isinstance(markers, dict):
            return f"bookmarks.{name}.progress_markers must be an object, not {shown(markers)}"
        partitions = bookmark.get("partitions", [])
        if not isinstance(partitions, list):
            return f"bookmarks.{name}.partitions must be a list, not {shown(partitions)}"
        for partition in partitions:
            if not isinstance(partition, dict) or not isinstance(partition.get("context"), dict):
                return (
                    f"bookmarks.{name}.partitions must hold objects with a context, not "
                    f"{shown(partition)}"
                )
    return None


def check_shape(state: object) -> None:
    """StateError unless the SDK can read ``state``."""
    problem = shape_problem(state)
    if problem:
        raise unusable(problem)


def foreign_streams(state: t.Mapping[str, t.Any], own: t.Iterable[str]) -> list[str]:
    """The bookmarks' streams, when none of them is one of ``own``; else []."""
    bookmarks = state.get("bookmarks") or {}
    names = sorted(bookmarks) if isinstance(bookmarks, dict) else []
    return [] if set(names) & set(own) else names


def bookmarks_of(state: t.Mapping[str, t.Any], stream: str) -> list[t.Mapping[str, t.Any]]:
    """A stream's bookmark and those of its partitions (of a state whose shape is checked)."""
    bookmark = (state.get("bookmarks") or {}).get(stream)
    if not isinstance(bookmark, dict):
        return []
    return [bookmark, *bookmark.get("partitions", [])]


# The SDK's key for the bookmark of an unsorted stream while it syncs, and its note's key.
PROGRESS_MARKERS = "progress_markers"
PROGRESS_NOTE = "Note"


def note_how_progress_resumes(stream_state: dict[str, t.Any], note: str) -> None:
    """Open the SDK's progress markers of an unsorted stream with a note of the tap's own.

    The SDK keeps the newest replication value of an unsorted stream in ``progress_markers``
    and makes it the bookmark only when the sync ends. Opening them itself, it warns "Stream is
    assumed to be unsorted, progress is not resumable if interrupted" and notes as much in the
    state: untrue of a stream whose own bookmark moves only when a sync ends, so that an
    interrupted sync is played again from the last finished one. Called before the stream's
    first record goes out, this leaves the SDK's bookkeeping as it was (the markers are filled,
    promoted and removed at the end all the same) and puts ``note`` in place of the warning.
    """
    stream_state.setdefault(PROGRESS_MARKERS, {PROGRESS_NOTE: note})
