"""What every process the tests, the demo, the chaos runs and the benchmarks start may see.

None of them may pick up a setting from the machine it runs on: not the caller's TAP_*,
TARGET_* or MELTANO_* variables (Meltano and the SDK rank them above meltano.yml and the
configs the tests write), nor the checkout's .env (Meltano reads its project's .env; a tap run
with --config=ENV reads the one in its working directory). So each process gets
``clean_environ()`` as its environment; Meltano gets ``--env-file`` pointing at an empty file
(``empty_env_file()``), and taps run in a folder of their own, or in ``NEUTRAL_CWD``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import typing as t
from pathlib import Path

PREFIXES = ("TAP_", "TARGET_", "MELTANO_", "DBT_", "CALL_MODEL_")
"""Settings of the taps (TAP_AIOKK_TOKEN, TAP_TWIN24_LOGLEVEL, ...), targets, Meltano, and the
dbt utilities and dbt itself (DBT_POSTGRES_PASSWORD, DBT_PROFILES_DIR, CALL_MODEL_*_SCHEMA)."""
DROPPED = frozenset({"LOGLEVEL", "SINGER_SDK_LOG_CONFIG"})
"""The SDK's log level and log format for every plugin: the tests read the taps' logs."""
LOOPBACK = ("127.0.0.1", "localhost")
"""Never sent through a proxy the caller may have set (HTTP_PROXY and the like)."""
NEUTRAL_CWD = Path(tempfile.gettempdir())
"""The working directory of a tap that has no folder of its own (--about): not the checkout."""


def foreign(name: str) -> bool:
    """Whether the variable ``name`` could change what a tap, target or Meltano does."""
    return name.upper().startswith(PREFIXES) or name.upper() in DROPPED


def clean_environ(extra: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without the caller's settings, plus ``extra`` (the test's own settings).

    PATH, HOME, the locale, proxies for `meltano install` and the like stay; the loopback
    addresses are added to NO_PROXY so that the emulator is always reached directly.
    """
    environment = {name: value for name, value in os.environ.items() if not foreign(name)}
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [host for host in environment.get(name, "").split(",") if host.strip()]
        environment[name] = ",".join([*hosts, *(h for h in LOOPBACK if h not in hosts)])
    return environment | dict(extra or {})


@contextlib.contextmanager
def empty_env_file() -> t.Iterator[Path]:
    """An empty .env for `meltano --env-file`, in place of the project's own; removed after."""
    with tempfile.TemporaryDirectory(prefix="meltano-env-") as folder:
        path = Path(folder) / ".env"
        path.touch()
        yield path
