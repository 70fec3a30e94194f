"""No module is installed by two distributions.

`backoff` (2.x) and `python-backoff` (3.x, singer-sdk's) both ship `backoff/`: installed together,
whichever comes last overwrites the other's files and `pip check` notices nothing. The taps
depend on the one singer-sdk uses; this test lists every file of every distribution installed
in the environment the tests run in and fails on any file two of them claim.
"""

from __future__ import annotations

import importlib.metadata
from collections import defaultdict


def owners_of_files() -> dict[str, set[str]]:
    """Installed file (relative to site-packages) -> names of the distributions that list it."""
    owners: dict[str, set[str]] = defaultdict(set)
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        for file in dist.files or ():
            path = str(file)
            # Metadata folders are per distribution; scripts in bin/ may be shared by design.
            if ".dist-info/" in path or path.startswith("..") or "__pycache__" in path:
                continue
            owners[path].add(name.lower())
    return owners


def clashes(owners: dict[str, set[str]]) -> dict[str, set[str]]:
    """Top-level module -> the distributions that install files into it, where more than one."""
    found: dict[str, set[str]] = defaultdict(set)
    for path, names in owners.items():
        if len(names) > 1:
            found[path.split("/", 1)[0]] |= names
    return dict(found)


def test_clashes_are_found_in_a_listing() -> None:
    listing = {
        "backoff/__init__.py": {"backoff", "python-backoff"},
        "backoff/_sync.py": {"backoff", "python-backoff"},
        "requests/__init__.py": {"requests"},
    }
    assert clashes(listing) == {"backoff": {"backoff", "python-backoff"}}


def test_no_module_is_owned_by_two_distributions() -> None:
    owners = owners_of_files()
    assert owners, "no installed distribution lists its files"
    found = clashes(owners)
    assert not found, "; ".join(
        f"{module}/ is installed by {' and '.join(sorted(names))}"
        for module, names in sorted(found.items())
    )


def test_one_backoff_distribution() -> None:
    installed = {
        dist.metadata["Name"].lower()
        for dist in importlib.metadata.distributions()
        if "backoff" in dist.metadata["Name"].lower()
    }
    assert installed == {"python-backoff"}
