"""A failed connection names its cause, from the exceptions ``requests`` really raises.

Every failure here is made on the loopback interface: a port nobody listens on, a server that
speaks plain HTTP to a TLS client, one that never answers, one that hangs up. The host name
that cannot be found is never looked up: the name lookup is replaced by one that fails as a
resolver does, so no packet leaves the machine. The description never holds the URL's path,
where alovoice puts the token.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import re
import shutil
import socket
import ssl
import subprocess
import textwrap
import threading
import typing as t

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams import RESTStream
from urllib3.exceptions import ProtocolError

from singer_tap_kit import retries
from singer_tap_kit.stream import SDK_RETRIED, KitStream
from tap_aiokk.tap import TapAiokk
from tap_alovoice.tap import TapAlovoice
from tap_twin24.tap import TapTwin24

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from singer_sdk import Tap

    from singer_tap_kit.tap import KitTap

SECRET_PATH = "/callgetairesult/the-token/1"
UNKNOWN_HOST = "no-such-host.invalid"


def failure_of(url: str, timeout: float | tuple[float, float] = 5.0) -> requests.RequestException:
    """The exception a GET of ``url`` raises, from a session that ignores proxy variables."""
    with requests.Session() as session:
        session.trust_env = False  # HTTPS_PROXY and the like would send loopback traffic away
        try:
            session.get(url, timeout=timeout)
        except requests.RequestException as exc:
            return exc
    pytest.fail(f"{url} answered")


def described(failure: BaseException) -> str:
    text = retries.describe_failure(failure)
    assert SECRET_PATH not in text
    assert "the-token" not in text
    return text


def free_port() -> int:
    """A loopback port nobody listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def loopback_server(serve: Callable[[socket.socket], None]) -> Iterator[int]:
    """A server on a loopback port that hands each accepted connection to ``serve``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                serve(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=5)
        listener.close()


def answer_in_plain_http(connection: socket.socket) -> None:
    connection.recv(4096)
    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def hang_up(connection: socket.socket) -> None:
    connection.recv(4096)


def never_answer(connection: socket.socket) -> None:
    connection.recv(4096)
    connection.settimeout(3)
    with contextlib.suppress(OSError):
        connection.recv(1)  # until the client gives up and closes


def test_a_refused_connection_is_named() -> None:
    failure = failure_of(f"http://127.0.0.1:{free_port()}{SECRET_PATH}")

    assert described(failure) == (
        "the connection was refused (are the host and port right, and is the server up?)"
    )
    assert retries.never_connected(failure)


@pytest.fixture
def unknown_host(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Makes the lookup of UNKNOWN_HOST fail with a resolver's error, without a DNS query."""

    def failing_with(code: int) -> None:
        real = socket.getaddrinfo

        def lookup(host: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            if host == UNKNOWN_HOST:
                raise socket.gaierror(code, "Name or service not known")
            if host not in {"127.0.0.1", "localhost"}:
                pytest.fail(f"{host} looked up: this test reaches loopback only")
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", lookup)

    return failing_with


def test_a_host_name_that_is_not_found_is_named(unknown_host: Callable[[int], None]) -> None:
    unknown_host(socket.EAI_NONAME)

    failure = failure_of(f"https://{UNKNOWN_HOST}:8443{SECRET_PATH}")

    assert described(failure) == f"the host name {UNKNOWN_HOST} was not found (is it spelt right?)"
    assert retries.never_connected(failure)


def test_a_name_lookup_that_fails_is_told_from_a_name_not_found(
    unknown_host: Callable[[int], None],
) -> None:
    unknown_host(socket.EAI_AGAIN)

    failure = failure_of(f"https://{UNKNOWN_HOST}{SECRET_PATH}")

    assert described(failure).startswith(f"the host name {UNKNOWN_HOST} could not be looked up")
    assert "is DNS reachable from here?" in described(failure)


def test_a_tls_handshake_with_a_plain_http_server_is_named() -> None:
    with loopback_server(answer_in_plain_http) as port:
        failure = failure_of(f"https://127.0.0.1:{port}{SECRET_PATH}")

    text = described(failure)
    assert text.startswith("the TLS handshake failed ("), text
    assert text.endswith("; does the server speak https on that port?")
    assert retries.never_connected(failure)


@pytest.fixture
def self_signed(tmp_path: Path) -> Path:
    """A certificate and key for 127.0.0.1 that no authority signed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a certificate")
    pem = tmp_path / "self-signed.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(pem), "-out", str(pem)),
        ],
        check=True,
        capture_output=True,
    )
    return pem


def test_a_certificate_that_is_not_trusted_is_named(self_signed: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(self_signed)

    def handshake(connection: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True):
            pass

    with loopback_server(handshake) as port:
        failure = failure_of(f"https://127.0.0.1:{port}{SECRET_PATH}")

    # OpenSSL 3 says "self-signed certificate", 1.1 "self signed certificate".
    assert re.fullmatch(
        r"the server's TLS certificate was not accepted \(self.signed certificate\); is the "
        r"URL's host the one the certificate is for\?",
        described(failure),
    ), described(failure)


def test_no_connection_in_time_is_told_from_no_answer_in_time() -> None:
    """A listener whose queue is full and that never accepts: the kernel drops the next SYN."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = []
        try:
            for _ in range(4):  # fill the accept queue (its length is 0 or 1 plus some slack)
                waiting = socket.socket()
                queued.append(waiting)
                waiting.settimeout(0.3)
                waiting.connect(("127.0.0.1", port))
        except TimeoutError:
            pass
        else:
            pytest.skip("this kernel took every connection; the queue never filled")
        finally:
            for waiting in queued:
                waiting.close()
        try:
            failure = failure_of(f"http://127.0.0.1:{port}{SECRET_PATH}", timeout=(0.3, 5))
        finally:
            listener.close()

    assert isinstance(failure, requests.exceptions.ConnectTimeout)
    assert described(failure) == (
        "no connection within the request timeout (is the host up, and its port open to this "
        "machine?)"
    )
    assert retries.never_connected(failure)


def test_no_answer_in_time_is_named() -> None:
    with loopback_server(never_answer) as port:
        failure = failure_of(f"http://127.0.0.1:{port}{SECRET_PATH}", timeout=0.3)

    assert isinstance(failure, requests.exceptions.ReadTimeout)
    assert described(failure) == "no answer within the request timeout"
    assert not retries.never_connected(failure)
    assert retries.timed_out(failure)


def test_a_dropped_connection_is_named() -> None:
    with loopback_server(hang_up) as port:
        failure = failure_of(f"http://127.0.0.1:{port}{SECRET_PATH}")

    assert described(failure) == "the connection was dropped before the answer was complete"
    assert not retries.never_connected(failure)
    assert not retries.timed_out(failure)


def test_a_tls_connection_cut_while_the_answer_came_is_no_failed_handshake() -> None:
    """An ``SSLEOFError`` behind a cut body broke a connection that was made: it is said as a
    cut body, and retried like one, not as a TLS handshake that failed."""
    eof = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    cut = ProtocolError("Connection broken", eof)
    failure = requests.exceptions.ChunkedEncodingError(cut)

    assert described(failure) == "the connection broke off while the body was being received"
    assert not retries.never_connected(failure)


# A sync keeps its retries; a connection test gives up at once on a dead host -------------


def tries(stream: KitStream[t.Any], failure: BaseException) -> int:
    """How often the stream's retries send a request that fails with ``failure`` each time."""
    sent = 0

    def send(request: object, context: object) -> requests.Response:  # noqa: ARG001 (its signature)
        nonlocal sent
        sent += 1
        raise failure

    with pytest.raises(type(failure)):
        stream.request_decorator(send)(None, None)
    return sent


def retry_policy_streams() -> list[tuple[Tap, KitStream[t.Any]]]:
    """A stream of each tap, retrying 5 times (the default) with short waits."""
    # A token no log line holds: the taps mask it in every line from now on (kit.redaction).
    quick = {"token": "retry-policy-test-token", "max_retries": 5, "backoff_ms": 1}
    aiokk = TapAiokk(config={"api_url": "http://127.0.0.1:9"} | quick)
    twin24 = TapTwin24(config={"start_date": "2025-01-01T00:00:00Z"} | quick)
    alovoice = TapAlovoice(config={"call_ids": ["1"]} | quick)
    return [
        (aiokk, t.cast("KitStream[t.Any]", aiokk.streams["dialogs"])),
        (twin24, t.cast("KitStream[t.Any]", twin24.streams["calls"])),
        (alovoice, t.cast("KitStream[t.Any]", alovoice.streams["analyses"])),
    ]


def test_a_sync_keeps_its_retries_while_a_connection_test_gives_up_at_once() -> None:
    refused = failure_of(f"http://127.0.0.1:{free_port()}{SECRET_PATH}")
    read_timeout = requests.exceptions.ReadTimeout()
    answered = RetriableAPIError("HTTP 503 Service Unavailable")
    dropped = requests.exceptions.ConnectionError(ConnectionResetError(104, "reset"))
    for tap, stream in retry_policy_streams():
        # A sync: every failure the SDK retries, retried max_retries times.
        assert [tries(stream, f) for f in (refused, read_timeout, answered, dropped)] == [6] * 4
        in_a_sync: object = stream.timeout
        assert in_a_sync == DEFAULT_TIMEOUT[tap.name]

        t.cast("KitTap", tap).prepare_connection_test()

        # A connection test: a dead host said at once; an answer or a drop retried as before.
        tried = [tries(stream, f) for f in (refused, read_timeout, answered, dropped)]
        assert tried == [1, 1, 6, 6]
        in_a_test: object = stream.timeout
        assert in_a_test == (10.0, DEFAULT_TIMEOUT[tap.name]), "(connect, read)"


DEFAULT_TIMEOUT = {"tap-aiokk": 300, "tap-twin24": 60, "tap-alovoice": 60}


def test_the_sdk_retries_what_the_kit_retries_in_a_connection_test() -> None:
    """``KitStream.request_decorator`` repeats the SDK's list of retried failures, adding only
    ``giveup``: this fails when the SDK changes its list."""
    source = textwrap.dedent(inspect.getsource(RESTStream.request_decorator))
    call = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "backoff.on_exception"
    )
    listed = ast.unparse(call.args[1]).replace("requests.exceptions.", "")
    assert listed == "(" + ", ".join(kind.__name__ for kind in SDK_RETRIED) + ")"
