"""The taps' command: the SDK's CLI, after a check that its input files can be used.

The SDK reads ``--config``, ``--state`` and ``--catalog`` while it parses the arguments, where
a file that does not read, or holds something other than an object, ends in a traceback.
"""

from __future__ import annotations

import itertools
import json
import sys
import typing as t
from pathlib import Path

from .state import FIX, shape_problem

if t.TYPE_CHECKING:
    from .tap import KitTap

FILE_OPTIONS = ("--config", "--state", "--catalog")


def input_file_problem(arguments: t.Sequence[str]) -> str | None:
    """The first input file that cannot be used, and why; None when all can."""
    parts = [
        part
        for argument in arguments
        for part in (argument.split("=", 1) if argument.startswith("--") else [argument])
    ]
    for option, path in itertools.pairwise(parts):
        if option not in FILE_OPTIONS or (option == "--config" and path == "ENV"):
            continue
        try:
            content = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"not JSON ({exc})"
            return f"cannot read {option} {path}: {reason}"
        if option == "--state":
            problem = shape_problem(content)
            if problem:
                return f"cannot use --state {path}: {problem}; {FIX}"
        elif not isinstance(content, dict):
            kind = "null" if content is None else type(content).__name__
            return f"cannot use {option} {path}: it holds {kind}, not a JSON object"
    return None


def main(tap: type[KitTap]) -> None:
    """Run ``tap``'s command line, ending an unusable input file with one line."""
    command = tap.cli  # sets up the SDK's log format, so the line below looks like the tap's
    problem = input_file_problem(sys.argv[1:])
    if problem:
        tap.fail(problem)
    command()
