"""The export API has no pages: one request per filter value returns every match.

The filter requests of a sync are therefore walked as the "pages" of one paginator, so the
SDK's request loop, retries and metrics apply to each of them.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

if t.TYPE_CHECKING:
    import requests

# Setting name -> (endpoint kind, body parameter), in the order the requests are sent.
FILTERS: dict[str, tuple[str, str]] = {
    "call_types": ("call_type", "call_type"),
    "department_ids": ("department", "department_id"),
    "operator_names": ("operator", "operator_name"),
    "question_pack_ids": ("question_pack", "qp_id"),
    "client_loyalty_grades": ("client_loyalty", "client_loyalty"),
    "signal_words": ("signals", "signal_word"),
}


@dataclass(frozen=True)
class ExportRequest:
    """One filter request: ``POST /api/v1/export/dialogs/{kind}`` with ``{param: value}``."""

    kind: str
    param: str
    value: int | str

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


def export_requests(config: t.Mapping[str, t.Any]) -> list[ExportRequest]:
    """Every filter value the settings name, each once."""
    return [
        ExportRequest(kind, param, value)
        for setting, (kind, param) in FILTERS.items()
        for value in dict.fromkeys(config.get(setting) or [])
    ]


class ExportRequestPaginator(BaseAPIPaginator[ExportRequest]):
    """Hands out the sync's filter requests one after the other."""

    def __init__(self, requests_: t.Sequence[ExportRequest]) -> None:
        super().__init__(requests_[0])
        self._remaining = list(requests_[1:])

    @override
    def get_next(self, response: requests.Response) -> ExportRequest | None:
        return self._remaining.pop(0) if self._remaining else None

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        """A filter that matches nothing (or only dialogs already seen) ends nothing."""
        return True
