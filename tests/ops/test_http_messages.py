"""How a server process reads request messages on the wire: header values, and a body left
unread by an early answer.

Raw HTTP/1.1 over sockets (and urllib) against a real server (uvicorn with this server's
protocol and app, in a thread), since both are up to the HTTP server and the connection below
any ASGI app.
"""

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.ops.test_connection_limits import closed_within, connect, read_response
from tests.support import AGENT, ServedInThread, migrate, mint_key, serve_in_thread


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('messages') / 'conversations.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInThread]:
    running = serve_in_thread(database, tmp_path_factory.mktemp("log") / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def key(database: str) -> str:
    return mint_key(database, "acme", "alice")


def exchange(server: ServedInThread, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with connect(server) as sock:
        sock.sendall(request)
        return read_response(sock)


def create(key_line: bytes, *extra: bytes) -> bytes:
    return b"\r\n".join(
        [
            f"POST /v1/conversations/?agent_id={AGENT} HTTP/1.1".encode(),
            b"Host: test",
            key_line,
            b"Content-Type: application/json",
            b"Content-Length: 2",
            *extra,
            b"",
            b"{}",
        ]
    )


def test_trailing_whitespace_in_a_header_value_is_not_part_of_it(
    server: ServedInThread, key: str
) -> None:
    # RFC 9110, 5.5: a key followed by a space was a 401, an Idempotency-Key so a 422.
    bearer = f"Authorization: Bearer {key}".encode()
    for padding in (b" ", b"\t", b" \t "):
        listed = b"GET /v1/conversations/?limit=1 HTTP/1.1\r\nHost: test\r\n%s%s\r\n\r\n"
        status, _headers, body = exchange(server, listed % (bearer, padding))
        assert status == 200, body
    key_field = b"Idempotency-Key: trailing-" + key[-8:].encode()
    status, _headers, first = exchange(server, create(bearer, key_field + b" \t"))
    assert status == 200, first
    status, _headers, replayed = exchange(server, create(bearer, key_field))
    assert status == 200 and replayed == first, "the same key, once its whitespace is gone"


@pytest.mark.parametrize("declared", [50, 5_000_000], ids=["401", "413"])
def test_an_early_answer_to_an_expect_100_continue_closes_the_connection(
    server: ServedInThread, key: str, declared: int
) -> None:
    # The body announced is never sent, as the client was told no 100 Continue: left open, the
    # connection read the next request as that body and hung.
    key_line = f"Authorization: Bearer {key}\r\n".encode() if declared > 50 else b""
    with connect(server) as sock:
        sock.sendall(
            f"POST /v1/conversations/?agent_id={AGENT} HTTP/1.1\r\nHost: test\r\n".encode()
            + key_line
            + b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            + f"Content-Length: {declared}\r\n\r\n".encode()
        )
        status, headers, _body = read_response(sock)
        assert status == (401 if declared == 50 else 413)
        assert headers["connection"] == "close"
        assert closed_within(sock, 2) < 2


def test_a_413_reaches_a_client_still_sending_its_body(server: ServedInThread, key: str) -> None:
    # The server closed on its early 413 with the body unread; the reset destroyed the answer
    # before urllib (which sends Connection: close) read it: a broken pipe about once in ten.
    body = b"x" * (4 * 1024 * 1024)
    outcomes: dict[str, int] = {}
    for _ in range(40):
        request = urllib.request.Request(
            f"{server.api_url}/conversations/?agent_id={AGENT}",
            data=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                outcome = str(answer.status)
        except urllib.error.HTTPError as error:
            outcome = str(error.code)
        except (urllib.error.URLError, OSError) as error:
            outcome = type(getattr(error, "reason", error)).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes == {"413": 40}
