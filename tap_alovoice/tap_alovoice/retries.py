"""Whether a failed request may have arrived (how long to wait is the kit's retry policy)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import requests
from urllib3.exceptions import NewConnectionError

# Answers that say the server did not take the request in: it can be sent again as it is.
NOT_TAKEN_IN = frozenset({HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_TIMEOUT})


def may_have_arrived(exception: BaseException) -> bool:
    """Whether a failed request may have reached alovoice, and been (or still be) acted on.

    Only a 429 or 408 answer, or a connection that was never made, says it did not. A 5xx
    may come from a proxy while alovoice goes on with the request; after a timeout, a dropped
    connection or a cut body, the request may have been processed, or may still be.
    """
    response = getattr(exception, "response", None)
    if isinstance(response, requests.Response):
        return response.status_code not in NOT_TAKEN_IN
    if isinstance(exception, requests.exceptions.ConnectTimeout):
        return False
    return not _never_connected(exception)


def _never_connected(exception: BaseException) -> bool:
    """Whether the connection failed before anything was sent (refused, no route, DNS)."""
    seen: set[int] = set()
    stack: list[object] = [exception]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError):
            return True
        if isinstance(item, BaseException):
            stack += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return False


@dataclass(frozen=True)
class Trouble:
    """A request that got no usable answer, after its retries when it had any."""

    reason: str
    wait: float  # seconds to wait before trying this call again
    may_have_arrived: bool  # the request may have reached alovoice (see may_have_arrived)
