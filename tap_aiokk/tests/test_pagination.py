"""The filter requests of a sync, walked as the pages of one paginator.

No HTTP here: the paginator is advanced with a stand-in response it never reads.
"""

from __future__ import annotations

import typing as t

import pytest
import requests

from tap_aiokk.pagination import ExportRequest, ExportRequestPaginator, export_requests

ANY_RESPONSE = requests.Response()


def walk(paginator: ExportRequestPaginator) -> list[str]:
    """The requests the SDK's loop sends, in order, each answered by an empty filter."""
    sent = []
    while not paginator.finished:
        sent.append(str(paginator.current_value))
        paginator.advance(ANY_RESPONSE)
    return sent


def test_every_filter_value_is_one_request_in_the_order_of_the_settings() -> None:
    config = {
        "signal_words": ["refund"],
        "call_types": [1, 2],
        "department_ids": [7],
        "operator_names": ["Ann"],
        "question_pack_ids": [3],
        "client_loyalty_grades": [10],
    }
    assert [str(r) for r in export_requests(config)] == [
        "call_type=1",
        "call_type=2",
        "department=7",
        "operator=Ann",
        "question_pack=3",
        "client_loyalty=10",
        "signals=refund",
    ]


def test_a_request_names_its_endpoint_and_its_body_parameter() -> None:
    assert export_requests({"question_pack_ids": [3]}) == [
        ExportRequest("question_pack", "qp_id", 3)
    ]


@pytest.mark.parametrize(
    ("config", "values"),
    [
        pytest.param({"call_types": [2, 1, 2, 1]}, ["call_type=2", "call_type=1"], id="repeats"),
        pytest.param({"call_types": [], "signal_words": None}, [], id="empty and unset"),
        pytest.param({"unknown_filter": [1]}, [], id="not a filter"),
    ],
)
def test_each_value_is_asked_once(config: dict[str, t.Any], values: list[str]) -> None:
    assert [str(r) for r in export_requests(config)] == values


def test_the_paginator_hands_out_every_request_once_then_ends() -> None:
    requests_ = export_requests({"call_types": [1, 2], "signal_words": ["a"]})
    assert walk(ExportRequestPaginator(requests_)) == ["call_type=1", "call_type=2", "signals=a"]


def test_a_single_filter_is_a_single_page() -> None:
    assert walk(ExportRequestPaginator(export_requests({"call_types": [1]}))) == ["call_type=1"]


def test_a_filter_that_matches_nothing_does_not_end_the_walk() -> None:
    paginator = ExportRequestPaginator(export_requests({"call_types": [1, 2]}))
    assert paginator.continue_if_empty(ANY_RESPONSE) is True
