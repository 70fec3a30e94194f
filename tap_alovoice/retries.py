"""How long to wait before trying a request again, and whether a failed one may have arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import requests
from urllib3.exceptions import NewConnectionError

LONGEST_WAIT = 120.0  # seconds; a longer Retry-After would stall a scheduled run
# Answers that say the server did not take the request in: it can be sent again as it is.
NOT_TAKEN_IN = frozenset({HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_TIMEOUT})


def retry_after_seconds(exception: BaseException | None) -> float | None:
    """The server's ``Retry-After`` in seconds (a number or an HTTP date), when it sent one."""
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def wait_before_retry(attempt: int, factor: float, exception: BaseException | None) -> float:
    """Seconds before retry number ``attempt`` (1-based): ``Retry-After`` when the server sent
    one, else ``factor`` doubling per retry; never more than LONGEST_WAIT."""
    server_wait = retry_after_seconds(exception)
    if server_wait is not None:
        return min(server_wait, LONGEST_WAIT)
    return min(factor * 2 ** (attempt - 1), LONGEST_WAIT)


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
