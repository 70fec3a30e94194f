"""How long to wait before trying a request again, and whether it may still arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

LONGEST_WAIT = 120.0  # seconds; a longer Retry-After would stall a scheduled run


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


def may_arrive_late(exception: BaseException) -> bool:
    """Whether a failed request may still be on its way to the server.

    An HTTP answer, even a cut one, means the server has decided; after a timeout or a
    connection that broke before any answer, the request may still be processed later.
    """
    return not isinstance(getattr(exception, "response", None), requests.Response)


@dataclass(frozen=True)
class Trouble:
    """A request that got no usable answer, after its retries when it had any."""

    reason: str
    wait: float  # seconds to wait before trying this call again
    may_arrive_late: bool  # the request may still reach alovoice
