"""The retry policy every tap follows, and failures said in a few words.

Waits double from ``backoff_ms`` on each retry, a server's ``Retry-After`` (seconds or an HTTP
date) takes precedence, and no wait is longer than LONGEST_WAIT. A wait gets up to a tenth more
at random, so parallel retries spread out, but a ``Retry-After`` is never cut short.
"""

from __future__ import annotations

import math
import random
import socket
import ssl
import sys
import typing as t
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

if t.TYPE_CHECKING:
    import logging

_E = t.TypeVar("_E", bound=BaseException)

LONGEST_WAIT = 300.0  # seconds; a longer Retry-After would stall a scheduled run
CONNECTION_TEST_CONNECT_SECONDS = 10.0  # see connection_test_timeout
# A name lookup that answered: no such host (EAI_NODATA, where the platform has it: no address).
NO_SUCH_NAME = frozenset(
    {socket.EAI_NONAME, *([socket.EAI_NODATA] if hasattr(socket, "EAI_NODATA") else [])}
)
# Failures before a connection was made (NameResolutionError is a NewConnectionError).
NOT_CONNECTED = (
    NewConnectionError,
    ConnectTimeoutError,
    socket.gaierror,
    ssl.SSLError,
    requests.exceptions.ConnectTimeout,
    requests.exceptions.SSLError,
)


def retry_after_seconds(exception: object) -> float | None:
    """The server's ``Retry-After`` in seconds (a number or an HTTP date), when it sent one.

    The SDK's default waits ignore it.
    """
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; an odd one without a zone, too
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def wait_before_retry(attempt: int, first_wait: float, exception: object) -> float:
    """Seconds before retry number ``attempt`` (1-based): ``Retry-After`` when the server sent
    one, else ``first_wait`` doubling per retry; never more than LONGEST_WAIT."""
    server_wait = retry_after_seconds(exception)
    if server_wait is not None:
        return min(server_wait, LONGEST_WAIT)
    return float(min(first_wait * 2 ** (attempt - 1), LONGEST_WAIT))


class RetryWaits:
    """The ``value`` callable for the SDK's ``backoff_runtime`` hook: one per request, it counts
    the request's retries and answers ``wait_before_retry`` for the failure it is given."""

    def __init__(self, first_wait: float) -> None:
        self.first_wait = first_wait
        self.attempt = 0

    def __call__(self, exception: object) -> float:
        self.attempt += 1
        return wait_before_retry(self.attempt, self.first_wait, exception)


def jitter(wait: float) -> float:
    """Up to 10% more, so parallel retries spread out, but never past LONGEST_WAIT and never
    less than ``wait`` (a Retry-After is not cut short)."""
    spread = random.random() / 10  # noqa: S311 (spreading retries, not a secret)
    return max(wait, min(wait * (1 + spread), LONGEST_WAIT))


def failure_chain(exception: object) -> list[BaseException]:
    """The exception and every one behind it, nearest first.

    ``requests`` wraps urllib3's failure (``MaxRetryError``, whose ``reason`` is the
    ``NewConnectionError``), which was raised from the socket's own error
    (``ConnectionRefusedError``, ``socket.gaierror``, ``ssl.SSLError``): the cause a user can act
    on is at the end of the chain, and the texts on the way quote the URL.
    """
    chain: list[BaseException] = []
    stack: list[object] = [exception]
    while stack:
        item = stack.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in chain):
            continue
        chain.append(item)
        stack += [getattr(item, "reason", None), *item.args, item.__cause__, item.__context__]
    return chain


#: Failures while an answer was coming in: a TLS error behind one (an ``SSLEOFError``) broke a
#: connection that was made, and is no failed handshake.
MID_ANSWER = (
    ProtocolError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def never_connected(exception: object) -> bool:
    """Whether the request failed before a connection to the server was made: the host name
    not found, the connection refused or not made in time, or a TLS handshake that failed.
    Nothing was sent, and trying again at once rarely helps."""
    chain = failure_chain(exception)
    if any(isinstance(item, MID_ANSWER) for item in chain):
        return False
    return any(isinstance(item, NOT_CONNECTED) for item in chain)


def timed_out(exception: object) -> bool:
    """Whether the server did not answer (or let the connection be made) in time."""
    return any(
        isinstance(item, requests.exceptions.Timeout | Urllib3TimeoutError | TimeoutError)
        and not isinstance(item, NewConnectionError)
        for item in failure_chain(exception)
    )


def retried_in_connection_test(exception: object) -> bool:
    """Whether a connection test (``--test``) tries a failed request again.

    Not when the host could not be reached or did not answer in time: the test says so at
    once, where a sync would wait through its retries (about a minute with the defaults) for
    a host that may come back. An answer that asks to be tried again (429, 5xx, a body that
    broke off) is retried as in a sync: the host is there.
    """
    return not (never_connected(exception) or timed_out(exception))


def connection_test_timeout(request_timeout: float) -> tuple[float, float]:
    """A connection test's (connect, read) timeout: a host that takes no connection is said
    within CONNECTION_TEST_CONNECT_SECONDS, while a slow answer (an export the server builds
    first, say) still has the whole request_timeout."""
    return (min(request_timeout, CONNECTION_TEST_CONNECT_SECONDS), request_timeout)


def describe_failure(exception: object) -> str:  # noqa: PLR0911 (one per kind of failure)
    """A network failure in a few words that say what to check, without the URL (which may
    hold a token) or the connection pool's internals."""
    if exception is None:
        return "unknown failure"
    chain = failure_chain(exception)
    mid_answer = any(isinstance(item, MID_ANSWER) for item in chain)
    not_made = None if mid_answer else _no_connection(chain)
    if not_made is not None:
        return not_made
    if timed_out(exception):
        return "no answer within the request timeout"
    if isinstance(exception, requests.exceptions.ChunkedEncodingError):
        return "the connection broke off while the body was being received"
    if any(isinstance(item, ConnectionResetError | ProtocolError) for item in chain):
        return "the connection was dropped before the answer was complete"
    if isinstance(exception, requests.exceptions.ConnectionError):
        return "the connection failed or was dropped"
    return type(exception).__name__


def _no_connection(chain: list[BaseException]) -> str | None:  # noqa: PLR0911 (one per kind of failure)
    """Why no connection was made, and what to check; None when one was."""

    def first(kind: type[_E]) -> _E | None:
        return next((item for item in chain if isinstance(item, kind)), None)

    if lookup := first(socket.gaierror):
        host = _unresolved_host(chain)
        if lookup.errno in NO_SUCH_NAME:
            return f"the host name {host}was not found (is it spelt right?)"
        said = lookup.strerror or "no answer"
        return f"the host name {host}could not be looked up ({said}); is DNS reachable from here?"
    if first(NameResolutionError):
        return f"the host name {_unresolved_host(chain)}was not found (is it spelt right?)"
    if certificate := first(ssl.SSLCertVerificationError):
        reason = certificate.verify_message or certificate.reason or "not trusted"
        return (
            f"the server's TLS certificate was not accepted ({reason}); is the URL's host "
            "the one the certificate is for?"
        )
    if handshake := first(ssl.SSLError):
        reason = handshake.reason or handshake.strerror or type(handshake).__name__
        return f"the TLS handshake failed ({reason}); does the server speak https on that port?"
    if first(requests.exceptions.SSLError):
        return "the TLS handshake failed; does the server speak https on that port?"
    if first(ConnectionRefusedError):
        return "the connection was refused (are the host and port right, and is the server up?)"
    if first(NewConnectionError):
        cause = next((i for i in chain if isinstance(i, OSError) and i.strerror), None)
        said = (cause.strerror if cause else None) or "no connection"
        return f"the connection could not be made ({said}); is the host reachable from here?"
    if first(requests.exceptions.ConnectTimeout) or first(ConnectTimeoutError):
        return (
            "no connection within the request timeout (is the host up, and its port open "
            "to this machine?)"
        )
    return None


def _unresolved_host(chain: list[BaseException]) -> str:
    """The host name whose lookup failed, and a space; never a URL or its path."""
    for item in chain:
        if isinstance(item, NameResolutionError):
            host = getattr(item.conn, "host", None)
            if host:
                return f"{host} "
    return ""


def without_backoff_library_lines(record: logging.LogRecord) -> bool:
    """The backoff library logs each retry with the raw exception; the stream's
    ``backoff_handler`` says it in one readable line, and the run's last line says when
    retries ran out."""
    return not str(record.msg).startswith(("Backing off ", "Giving up "))


# What the tap ends with one line of its own; the SDK's generic line about it adds nothing.
ONE_LINE_FAILURES = (FatalAPIError, RetriableAPIError, requests.RequestException)


def without_generic_failure_line(record: logging.LogRecord) -> bool:
    """The SDK logs "An unhandled error occurred while syncing ..." for any exception that ends
    a stream's sync, even the record limit that ``--test`` stops at on purpose; for those and
    for the failures that the tap ends in one line of its own, that line adds nothing."""
    if not str(record.msg).startswith("An unhandled error occurred"):
        return True
    failure = sys.exc_info()[1]
    if failure is None and record.exc_info:
        failure = record.exc_info[1]
    return not isinstance(failure, ONE_LINE_FAILURES) and type(failure).__name__ not in {
        "MaxRecordsLimitException",
        "AbortedSyncPausedException",
        "AbortedSyncFailedException",
    }
