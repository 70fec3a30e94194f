"""The kit's rules for settings: checks JSON Schema cannot express, where a relative path starts,
and which variables name no setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from singer_tap_kit.settings import (
    PROJECT_ROOT,
    RENAMED,
    batch_root,
    describe_path,
    setting_path,
    unknown_variable_lines,
    unknown_variables,
    url_error,
    variable_prefix,
)
from tap_aiokk.tap import TapAiokk


@pytest.mark.parametrize(
    "url",
    [
        "https://cld.alovoice.uz",
        "https://analyse.twin24.ai/api/v1",
        "http://127.0.0.1:8080/aiokk",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_an_http_url_with_a_host_is_accepted(url: str) -> None:
    assert url_error("api_url", url) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",  # another scheme
        "http:example.com",  # no // : no host
        "https:///v1",  # empty host
        "example.com",  # no scheme
        "",
    ],
)
def test_a_url_without_http_or_a_host_is_named_with_an_example(url: str) -> None:
    assert url_error("api_url", url) == (
        f"api_url: {url!r} is not an http(s) URL with a host, such as https://example.com"
    )


def test_a_value_that_is_not_text_is_left_to_the_schema_check() -> None:
    assert url_error("api_url", 5) is None
    assert url_error("api_url", None) is None


# Path settings: where a relative path starts ----------------------------------------------

PROJECT = "/srv/meltano-project"


def test_an_absolute_path_is_unchanged() -> None:
    assert setting_path("/data/ids.txt", {PROJECT_ROOT: PROJECT}) == Path("/data/ids.txt")
    assert describe_path("/data/ids.txt", {PROJECT_ROOT: PROJECT}) == "/data/ids.txt"


def test_a_relative_path_starts_in_the_meltano_project_root() -> None:
    environ = {PROJECT_ROOT: PROJECT}
    assert setting_path("extract/ids.txt", environ) == Path(PROJECT, "extract/ids.txt")
    assert setting_path("./a/../ids.txt", environ) == Path(PROJECT, "ids.txt")
    assert describe_path("ids.txt", environ) == (
        f"{PROJECT}/ids.txt (ids.txt from $MELTANO_PROJECT_ROOT)"
    )


def test_a_relative_path_without_meltano_starts_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert setting_path("ids.txt", {}) == tmp_path / "ids.txt"
    assert setting_path("ids.txt", {PROJECT_ROOT: ""}) == tmp_path / "ids.txt", "empty is unset"
    assert describe_path("ids.txt", {}) == (
        f"{tmp_path / 'ids.txt'} (ids.txt from the working directory)"
    )


def test_a_path_from_the_home_folder_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/engineer")
    assert setting_path("~/ids.txt", {PROJECT_ROOT: PROJECT}) == Path("/home/engineer/ids.txt")
    assert describe_path("~/ids.txt", {PROJECT_ROOT: PROJECT}) == "/home/engineer/ids.txt"


@pytest.mark.parametrize(
    ("root", "absolute"),
    [
        pytest.param("output/batches", f"{PROJECT}/output/batches", id="relative folder"),
        pytest.param("file://output/batches", f"file://{PROJECT}/output/batches", id="file URL"),
        pytest.param("file:///data/batches", "file:///data/batches", id="absolute file URL"),
        pytest.param("/data/batches", "/data/batches", id="absolute folder"),
        pytest.param("s3://bucket/batches", "s3://bucket/batches", id="not a local folder"),
    ],
)
def test_a_relative_batch_root_starts_in_the_meltano_project_root(root: str, absolute: str) -> None:
    assert batch_root(root, {PROJECT_ROOT: PROJECT}) == absolute


# Variables that name no setting -------------------------------------------------------------

SCHEMA = TapAiokk.settings_schema()
MELTANO_RUNS_TAP_AIOKK = {  # what Meltano 4.4.1 sets for `meltano run tap-aiokk ...`
    "TAP_AIOKK_API_URL": "https://example.com",
    "TAP_AIOKK_TOKEN": "x",
    "TAP_AIOKK_LOOKBACK_MINUTES": "60",
    "TAP_AIOKK_BATCH_CONFIG": '{"storage.root": "file://out"}',
    "TAP_AIOKK_BATCH_CONFIG_STORAGE_ROOT": "file://out",
    "TAP_AIOKK_STREAM_MAPS": '{"dialogs.x": "1"}',
    "TAP_AIOKK_STREAM_MAPS_DIALOGS_X": "1",
    "TAP_AIOKK_LOOKBACK_MINUTEZ": "7",  # a key of its config that no setting has
    "TAP_AIOKK__LOAD_SCHEMA": "tap_aiokk",
    "TAP_AIOKK__LOG_PARSER": "singer-sdk",
    "TAP_AIOKK__METADATA": "{}",
    "TAP_AIOKK__SCHEMA": "{}",
    "TAP_AIOKK__SELECT": '["dialogs.*"]',
    "TAP_AIOKK__SELECT_FILTER": "[]",
    "TAP_AIOKK__USE_CACHED_CATALOG": "true",
    # ... and for an extractor that inherits from it: tap-aiokk--eu, tap-aiokk-sales
    "TAP_AIOKK__EU_TOKEN": "x",
    "TAP_AIOKK__EU__SELECT": "[]",
    "TAP_AIOKK_SALES_TOKEN": "x",
    "TAP_AIOKK_SALES_STREAM_MAPS_DIALOGS_X": "1",
    "TAP_AIOKK_SALES__SELECT_FILTER": "[]",
    "TAP_AIOKK_LOGLEVEL": "DEBUG",  # the SDK's
}
GIVEN = {"api_url": "https://example.com", "lookback_minutez": "7"}


def test_no_variable_meltano_sets_is_unknown() -> None:
    assert unknown_variables(SCHEMA, "TAP_AIOKK_", MELTANO_RUNS_TAP_AIOKK, None, GIVEN) == []


def test_a_misspelt_variable_is_unknown_among_meltanos() -> None:
    environ = MELTANO_RUNS_TAP_AIOKK | {"TAP_AIOKK_LOOKBACK_MINUTS": "5", "TAP_AIOKKX": "1"}
    found = unknown_variables(SCHEMA, "TAP_AIOKK_", environ, None, GIVEN)
    assert found == ["TAP_AIOKK_LOOKBACK_MINUTS"]


def test_a_dotenv_variable_is_read_only_when_the_file_is_given(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TAP_AIOKK_MAX_RETRIES=1\nTAP_AIOKK_MAX_RETIRES=1\n")
    assert unknown_variables(SCHEMA, "TAP_AIOKK_", {}, dotenv) == ["TAP_AIOKK_MAX_RETIRES"]
    assert unknown_variables(SCHEMA, "TAP_AIOKK_", {}, None) == []


@pytest.mark.parametrize(
    ("variable", "line"),
    [
        (
            "TAP_AIOKK_LOOKBACK_MINUTS",
            "TAP_AIOKK_LOOKBACK_MINUTS is not a setting of tap-aiokk and is ignored; did you mean "
            "TAP_AIOKK_LOOKBACK_MINUTES (lookback_minutes)?",
        ),
        ("TAP_AIOKK_ZZZ", "TAP_AIOKK_ZZZ is not a setting of tap-aiokk and is ignored"),
        (
            "TAP_AIOKK_BACKOFF_FACTOR",
            "TAP_AIOKK_BACKOFF_FACTOR is not a setting of tap-aiokk and is ignored: it is now "
            "backoff_ms, in milliseconds",
        ),
    ],
)
def test_an_unknown_variable_is_named_with_the_closest_setting(variable: str, line: str) -> None:
    said = unknown_variable_lines(SCHEMA, "TAP_AIOKK_", "tap-aiokk", [variable], RENAMED)
    assert said == [line]


@pytest.mark.parametrize(
    ("plugin", "prefix"),
    [("tap-aiokk", "TAP_AIOKK_"), ("tap-aiokk--eu", "TAP_AIOKK__EU_"), ("aiokk.x", "AIOKK_X_")],
)
def test_a_plugin_prefix_is_meltanos(plugin: str, prefix: str) -> None:
    assert variable_prefix(plugin) == prefix
