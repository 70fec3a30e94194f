"""The kit's checks of settings that JSON Schema cannot express."""

from __future__ import annotations

import pytest

from tap_aiokk.kit.settings import url_error


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
