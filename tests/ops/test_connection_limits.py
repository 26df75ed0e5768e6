"""What a server lets one client hold: request heads, slow and idle sockets, connections.

Each test talks raw HTTP/1.1 over sockets to a real server, since these limits live in the HTTP
server (server_impl/ops/protocol/), below any ASGI app: uvicorn's Server with the protocol
`serve` runs, in a thread of this process, and a `serve` process where the process is what is
tested (its memory, its open-file limit, its workers, SIGTERM).
"""

import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_impl.ops.metrics_listener import MAX_CONNECTIONS
from tests.support import (
    AGENT,
    RunningServer,
    Served,
    ServedInThread,
    bearer,
    children,
    free_port,
    migrate,
    mint_key,
    serve_in_thread,
    start_server,
)

# Tens of seconds: run before the shorter modules (tests/conftest.py).
pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'conversations.db'}"
    migrate(url)
    return url


@pytest.fixture
def serve(database: str, tmp_path: Path) -> Iterator[Callable[..., ServedInThread]]:
    """Starts servers in threads with settings of their own (Settings' fields), stopped at the
    test's end."""
    started: list[ServedInThread] = []

    def start(**settings: Any) -> ServedInThread:
        server = serve_in_thread(database, tmp_path / "server.log", **settings)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def serve_process(database: str, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Starts `serve` processes with settings as CONVERSATIONS_* variables, for the tests of
    the process itself; stops whatever is left at the test's end."""
    started: list[RunningServer] = []

    def start(**env: str) -> RunningServer:
        server = start_server(database, tmp_path / "server.log", port=None, open_files=None, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture(scope="module")
def shared(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInThread]:
    """One server with the default limits, for the tests that need no settings of their own; it
    writes access lines, so that they can be read from its log."""
    log = tmp_path_factory.mktemp("shared") / "server.log"
    server = serve_in_thread(database, log, access_log="text")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def key(database: str) -> str:
    return mint_key(database, "acme", "pipeliner")


def connect(server: Served) -> socket.socket:
    port = int(server.base_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers (lower-case names), body; reads until the declared length
    has arrived, or a chunked body's last chunk (the metrics app declares no length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)
    }
    if headers.get("transfer-encoding") == "chunked":
        return int(status_line.split()[1]), headers, _dechunked(sock, body)
    while len(body) < int(headers.get("content-length", "0")):
        body += sock.recv(65536)
    return int(status_line.split()[1]), headers, body


def _dechunked(sock: socket.socket, data: bytes) -> bytes:
    """A chunked body whose first bytes are data, read from sock up to its last chunk."""
    body = b""
    while True:
        while b"\r\n" not in data:
            data += sock.recv(65536)
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            data += sock.recv(65536)
        if size == 0:
            return body
        body, data = body + data[:size], data[size + 2 :]


def read_responses(sock: socket.socket, count: int | None = None) -> list[tuple[int, bytes]]:
    """The responses on sock, in order, as (status, body): count of them, or, without count,
    all until the server closes the connection."""
    sock.settimeout(10)
    data = b""
    responses: list[tuple[int, bytes]] = []
    while count is None or len(responses) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            status_line, *lines = data[:end].decode("latin-1").split("\r\n")
            length = next(
                int(line.split(":", 1)[1])
                for line in lines
                if line.lower().startswith("content-length:")
            )
            if len(data) >= end + 4 + length:
                responses.append((int(status_line.split()[1]), data[end + 4 : end + 4 + length]))
                data = data[end + 4 + length :]
                continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            assert count is None, f"closed after {len(responses)} responses"
            assert data == b"", data
            break
        data += chunk
    return responses


def metric(server: Served, sample: str) -> float:
    """The value of one sample of the server's /metrics, 0 when absent."""
    for line in httpx.get(f"{server.base_url}/metrics", timeout=5).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return 0.0


def wait_for_line(server: Served, *parts: str) -> None:
    """Waits for a line of the server's log holding every one of parts."""
    deadline = time.monotonic() + 5
    while not any(
        all(part in line for part in parts) for line in server.log_path.read_text().splitlines()
    ):
        assert time.monotonic() < deadline, f"no line with {parts} in the log"
        time.sleep(0.05)


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed the connection; fails if it stays open longer."""
    sock.settimeout(seconds)
    started = time.monotonic()
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def head(lines: list[bytes]) -> bytes:
    return b"\r\n".join([b"GET /v1/health HTTP/1.1", b"Host: test", *lines]) + b"\r\n\r\n"


def test_a_head_at_the_size_limit_is_served_and_one_byte_more_is_answered_431(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(max_head_bytes=4096)
    padding = 4096 - len(head([b"X-Pad: "]))
    for extra, expected in ((0, 200), (1, 431)):
        with connect(server) as sock:
            sock.sendall(head([b"X-Pad: " + b"a" * (padding + extra)]))
            status, headers, body = read_response(sock)
        assert status == expected
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert "4096 bytes" in json.loads(body)["detail"]


def test_an_oversized_head_is_answered_431_without_waiting_for_its_end(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve()
    with connect(server) as sock:
        # 1 MiB of headers, never finished: the answer must not wait for the blank line.
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: test\r\n" + b"X-Pad: " + b"a" * 2**20)
        status, headers, body = read_response(sock)
    assert status == 431
    assert json.loads(body)["status"] == 431
    # Refused before any app ran, it still has a request id, in the header and the problem.
    assert json.loads(body)["request_id"] == headers["x-request-id"]


def test_more_header_fields_than_the_limit_is_answered_431(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(max_header_fields=20)
    for count, expected in ((19, 200), (21, 431)):  # Host is one of them
        with connect(server) as sock:
            sock.sendall(head([b"X-%d: 1" % i for i in range(count)]))
            status, _headers, body = read_response(sock)
        assert status == expected
    assert "20 header fields" in json.loads(body)["detail"]


def test_a_connection_that_sends_nothing_is_closed_at_the_head_timeout(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(head_timeout_s=1)
    with connect(server) as sock:
        assert 0.5 < closed_within(sock, 5) < 3


def drip_a_head(sock: socket.socket) -> float:
    """Sends a request head a byte every 50 ms until the server cuts it off; how long it took."""
    started = time.monotonic()
    with pytest.raises(OSError):
        for byte in b"GET /v1/health HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"a" * 1000:
            sock.send(bytes([byte]))
            time.sleep(0.05)
    return time.monotonic() - started


def test_a_head_dripped_a_byte_at_a_time_is_cut_off_at_the_head_timeout(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(head_timeout_s=1)
    with connect(server) as sock:
        assert drip_a_head(sock) < 3


def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_time(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(keep_alive_s=1, head_timeout_s=30)
    with connect(server) as sock:
        sock.sendall(head([]))
        status, headers, _body = read_response(sock)
        assert status == 200 and headers.get("connection") != "close"
        assert 0.5 < closed_within(sock, 5) < 3


def test_an_idle_keep_alive_connection_outlasts_the_head_timeout_and_is_reused(
    serve: Callable[..., ServedInThread],
) -> None:
    # Idle between requests, a connection waits for no head: a pool that keeps it past the
    # head timeout (within the keep-alive time) must find it open, not closing as it sends.
    server = serve(head_timeout_s=0.5, keep_alive_s=2.5)
    with connect(server) as sock:
        for _ in range(2):
            sock.sendall(head([]))
            assert read_response(sock)[0] == 200
            time.sleep(1.2)
            assert still_open(sock)
        assert 0.5 < closed_within(sock, 5) < 3


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize(
    "prelude",
    [
        b"GET /v1/health HTTP/1.1\r\nHost: test\r\n",
        # Endless trailers, after a chunked body's last chunk.
        b"POST /v1/health HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\n",
    ],
    ids=["head", "trailers"],
)
def test_a_flood_of_endless_heads_keeps_memory_bounded_and_others_answered(
    serve_process: Callable[..., RunningServer], prelude: bytes
) -> None:
    # A process of its own: its memory is what is measured, apart from the flooding clients'.
    server = serve_process()
    before = rss_bytes(server.process.pid)
    stop = threading.Event()

    def flood() -> None:
        line = b"X-Flood: " + b"a" * 1000 + b"\r\n"
        while not stop.is_set():
            try:
                with connect(server) as sock:
                    sock.sendall(prelude)
                    while not stop.is_set():
                        sock.sendall(line * 64)
            except OSError:
                continue

    floods = [threading.Thread(target=flood) for _ in range(4)]
    for thread in floods:
        thread.start()
    slowest = 0.0
    peak = before
    try:
        deadline = time.monotonic() + 4
        with httpx.Client(base_url=server.api_url) as client:
            while time.monotonic() < deadline:
                started = time.monotonic()
                assert client.get("/health", timeout=5).status_code == 200
                slowest = max(slowest, time.monotonic() - started)
                peak = max(peak, rss_bytes(server.process.pid))
                time.sleep(0.05)
    finally:
        stop.set()
        for thread in floods:
            thread.join()
    assert peak - before < 64 * 2**20
    assert slowest < 0.5


def test_past_the_connection_limit_the_longest_idle_connection_makes_room(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(max_connections=8)
    idle = [connect(server) for _ in range(20)]
    try:
        started = time.monotonic()
        response = httpx.get(f"{server.api_url}/health", timeout=5)
        assert response.status_code == 200
        assert time.monotonic() - started < 0.5
        still_open = 0
        for sock in idle:
            sock.settimeout(0.2)
            try:
                still_open += sock.recv(1) != b""
            except TimeoutError:
                still_open += 1
            except ConnectionResetError:
                pass
        assert still_open <= 8
    finally:
        for sock in idle:
            sock.close()


def test_past_the_open_file_limit_new_clients_are_still_served(
    database: str, tmp_path: Path
) -> None:
    # 300 idle sockets against a process allowed 256 descriptors: without a connection limit
    # below the descriptor limit, the next client's connection cannot even be accepted.
    server = start_server(
        database, tmp_path / "server.log", open_files=256, CONVERSATIONS_HEAD_TIMEOUT_S="60"
    )
    try:
        idle = [connect(server) for _ in range(300)]
        try:
            started = time.monotonic()
            response = httpx.get(f"{server.api_url}/health", timeout=5)
            assert response.status_code == 200
            assert time.monotonic() - started < 0.5
        finally:
            for sock in idle:
                sock.close()
    finally:
        server.stop()


def connect_to(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_metrics_port_has_the_head_limits_of_the_api_port(
    serve: Callable[..., ServedInThread],
    serve_process: Callable[..., RunningServer],
    workers: str,
) -> None:
    metrics_port = free_port()
    if workers == "1":
        serve(metrics_port=metrics_port, max_head_bytes=4096, head_timeout_s=1)
    else:  # the workers' arbiter serves the metrics: a process
        serve_process(
            CONVERSATIONS_METRICS_PORT=str(metrics_port), CONVERSATIONS_WORKERS=workers,
            CONVERSATIONS_MAX_HEAD_BYTES="4096", CONVERSATIONS_HEAD_TIMEOUT_S="1",
        )  # fmt: skip
    with connect_to(metrics_port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 8192 + b"\r\n\r\n")
        status, _headers, _body = read_response(sock)
    assert status == 431
    with connect_to(metrics_port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\n")
        assert 0.5 < closed_within(sock, 5) < 3


def test_a_scrape_with_a_header_value_that_is_not_utf8_is_answered(
    serve: Callable[..., ServedInThread], tmp_path: Path
) -> None:
    # prometheus-client's app decodes header values as UTF-8: a 500 and a logged traceback.
    metrics_port = free_port()
    serve(metrics_port=metrics_port)
    with connect_to(metrics_port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: test\r\nAccept: \xff\r\n\r\n")
        status, _headers, body = read_response(sock)
    assert status == 200 and b"conversations_build_info" in body
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def still_open(sock: socket.socket) -> bool:
    """Whether the server has not closed this connection."""
    sock.settimeout(0.2)
    try:
        return sock.recv(1) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_idle_sockets_on_the_metrics_port_leave_the_api_and_scrapes_answered(
    database: str, tmp_path: Path, workers: str
) -> None:
    # As many as the process has descriptors, each holding an unfinished head: the listener
    # keeps its own few connections, on no thread of their own, and the API's port is untouched.
    metrics_port = free_port()
    server = start_server(
        database, tmp_path / "server.log", open_files=256, CONVERSATIONS_WORKERS=workers,
        CONVERSATIONS_METRICS_PORT=str(metrics_port), CONVERSATIONS_HEAD_TIMEOUT_S="60",
    )  # fmt: skip
    idle: list[socket.socket] = []
    try:
        threads_before = threads(server.process.pid)
        for _ in range(240):
            idle.append(connect_to(metrics_port))
            idle[-1].sendall(b"GET /metrics HTTP/1.1\r\n")
        for url in (f"{server.api_url}/health", f"http://127.0.0.1:{metrics_port}/metrics"):
            started = time.monotonic()
            assert httpx.get(url, timeout=5).status_code == 200
            assert time.monotonic() - started < 0.5
        assert threads(server.process.pid) - threads_before < 8
        assert sum(still_open(sock) for sock in idle) <= MAX_CONNECTIONS
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def start_body(server: Served, key: str, sent: bytes = b'{"sum') -> socket.socket:
    """A create request in flight: its head and the first bytes of a 100-byte body.

    Returns once the app is reading the body: with ``Expect: 100-continue`` the server says
    "100 Continue" then, and not before (a request still in the socket's buffer is not in flight).
    """
    sock = connect(server)
    sock.sendall(
        f"POST /v1/conversations/?agent_id={AGENT} HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: 100\r\n\r\n".encode()
    )
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, f"closed after {interim!r}"
        interim += chunk
    assert interim.startswith(b"HTTP/1.1 100 "), interim
    sock.sendall(sent)
    return sock


def test_a_body_that_stops_arriving_is_cut_off_at_the_body_timeout_and_changes_nothing(
    serve: Callable[..., ServedInThread], database: str
) -> None:
    key = mint_key(database, "acme", "body-timeout")
    server = serve(body_timeout_s=1)
    with start_body(server, key) as sock:
        assert 0.5 < closed_within(sock, 5) < 3
    listed = httpx.get(f"{server.api_url}/conversations/", headers=bearer(key), timeout=5)
    assert listed.status_code == 200 and listed.json() == []


def test_with_every_connection_busy_a_request_is_answered_503_with_retry_after(
    serve: Callable[..., ServedInThread], database: str
) -> None:
    key = mint_key(database, "acme", "alice")
    server = serve(max_connections=2)
    busy = [start_body(server, key) for _ in range(2)]
    try:
        started = time.monotonic()
        response = httpx.get(
            f"{server.api_url}/health", headers={"X-Request-Id": "client-id-7"}, timeout=5
        )
        assert time.monotonic() - started < 0.5
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 503
        # The client's well-formed id, as for any other answer.
        assert response.headers["x-request-id"] == "client-id-7"
        assert response.json()["request_id"] == "client-id-7"
    finally:
        for sock in busy:
            sock.close()
    # Counted, once the connections are free again to ask.
    assert metric(server, 'conversations_requests_total{operation="refused",status="503"}') == 1


def running(pid: int) -> bool:
    try:
        return "(zombie)" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_requests_in_flight_finish_and_exits_within_the_grace_period(
    serve_process: Callable[..., RunningServer], database: str, workers: str
) -> None:
    key = mint_key(database, "acme", "alice")
    server = serve_process(CONVERSATIONS_SHUTDOWN_GRACE_S="2", CONVERSATIONS_WORKERS=workers)
    # Enough requests that, with two workers, each worker holds some.
    finishing = [start_body(server, key) for _ in range(4)]
    stuck = [start_body(server, key) for _ in range(4)]
    pids = [server.process.pid, *children(server.process.pid)]
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)  # the rest of the bodies arrives during the shutdown, not before it
    rest = b'mary": "' + b"x" * (100 - len(b'{"summary": "') - 2) + b'"}'
    for sock in finishing:
        sock.sendall(rest)
        status, _headers, body = read_response(sock)
        assert status == 200, body
    started = time.monotonic()
    server.process.wait(timeout=10)
    assert time.monotonic() - started < 2 + 3
    for pid in pids:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
    for sock in [*finishing, *stuck]:
        sock.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.api_url}/health", timeout=1, headers=bearer(key))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_closes_a_request_whose_body_never_completes_without_a_500_or_a_traceback(
    serve: Callable[..., ServedInThread],
    serve_process: Callable[..., RunningServer],
    database: str,
    workers: str,
) -> None:
    # uvicorn cancelled such a request at the end of the grace period: it answered a text/plain
    # 500 and logged the CancelledError's traceback, once per request.
    key = mint_key(database, f"sigterm-stuck-{workers}", "alice")  # an organization of its own
    server = serve_process(CONVERSATIONS_SHUTDOWN_GRACE_S="1", CONVERSATIONS_WORKERS=workers)
    stuck = [start_body(server, key) for _ in range(4)]
    server.process.send_signal(signal.SIGTERM)
    for sock in stuck:
        with sock:
            sock.settimeout(5)
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
            except ConnectionResetError:
                pass
            assert received == b"", "the connection is closed without an answer"
    server.process.wait(timeout=10)
    log = server.log_path.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log
    after = serve()
    listed = httpx.get(f"{after.api_url}/conversations/", headers=bearer(key), timeout=5)
    assert listed.status_code == 200 and listed.json() == []


def chunked(target: str, trailers: bytes, headers: bytes = b"", method: str = "POST") -> bytes:
    """A request with a chunked body ``{}`` and trailers (each line with its CRLF)."""
    return (
        f"{method} {target} HTTP/1.1\r\nHost: test\r\n".encode()
        + headers
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"2\r\n{}\r\n0\r\n"
        + trailers
        + b"\r\n"
    )


@pytest.mark.parametrize(
    ("trailers", "detail"),
    [
        ((b"X-T: " + b"a" * 2000 + b"\r\n") * 40, "longer than 65536 bytes"),
        (b"X-T: 1\r\n" * 101, "more than 100 trailer fields"),
    ],
    ids=["bytes", "fields"],
)
def test_a_trailer_section_past_the_head_limits_is_answered_431_and_closes(
    shared: ServedInThread, trailers: bytes, detail: str
) -> None:
    with connect(shared) as sock:
        sock.sendall(chunked("/v1/health", trailers))
        status, headers, body = read_response(sock)
        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        assert detail in json.loads(body)["detail"]
        closed_within(sock, 5)


def test_trailer_fields_never_become_request_headers(shared: ServedInThread, key: str) -> None:
    # The key, and an id, only as trailers: the head carries no key, so the request has none.
    trailers = f"Authorization: Bearer {key}\r\nX-Request-Id: from-a-trailer\r\n".encode()
    for method, target in (
        ("GET", "/v1/conversations/?limit=1"),
        ("POST", f"/v1/conversations/?agent_id={AGENT}"),
    ):
        with connect(shared) as sock:
            sock.sendall(chunked(target, trailers, method=method))
            status, headers, body = read_response(sock)
        assert status == 401, body
        assert headers["x-request-id"] != "from-a-trailer"
    # Within the limits, trailers are read and ignored: a create with its key in the head is
    # served.
    with connect(shared) as sock:
        authorized = f"Authorization: Bearer {key}\r\n".encode()
        sock.sendall(chunked(f"/v1/conversations/?agent_id={AGENT}", trailers, authorized))
        status, _headers, body = read_response(sock)
    assert status == 200, body


def test_a_trailer_x_forwarded_for_does_not_replace_what_a_trusted_proxy_set(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(trusted_proxies="127.0.0.1", access_log="text")
    with connect(server) as sock:
        sock.sendall(
            chunked(
                "/v1/health",
                b"X-Forwarded-For: 198.51.100.66\r\n",
                b"X-Forwarded-For: 203.0.113.9\r\n",
            )
        )
        status, _headers, _body = read_response(sock)
    assert status == 405
    server.stop()
    log = server.log_path.read_text()
    assert "client=203.0.113.9" in log and "198.51.100.66" not in log


def create(key: str) -> bytes:
    return (
        f"POST /v1/conversations/?agent_id={AGENT} HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\n\r\n{}"
    ).encode()


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        (b"GET /v1/health HTTP/1.1\r\nHost: test\r\nX-\x7fBad: 1\r\n\r\n", 400),
        (head([b"X-Pad: " + b"a" * 70_000]), 431),
    ],
    ids=["malformed", "too-large"],
)
def test_pipelined_requests_before_a_refused_one_are_answered_in_order_then_the_refusal(
    shared: ServedInThread, key: str, refused: bytes, status: int
) -> None:
    listed = httpx.get(f"{shared.api_url}/conversations/", headers=bearer(key), timeout=5)
    before = {conversation["id"] for conversation in listed.json()}
    with connect(shared) as sock:
        # One write: two creates, a health check, then the request refused.
        sock.sendall(create(key) + create(key) + head([]) + refused)
        answers = read_responses(sock)
    assert [answer[0] for answer in answers] == [200, 200, 200, status]
    assert json.loads(answers[3][1])["status"] == status
    made = {json.loads(answers[0][1])["id"], json.loads(answers[1][1])["id"]}
    listed = httpx.get(f"{shared.api_url}/conversations/", headers=bearer(key), timeout=5)
    # Nothing was created but what was answered.
    assert {conversation["id"] for conversation in listed.json()} - before == made


def test_each_pipelined_request_head_counts_against_the_head_limit_apart(
    shared: ServedInThread,
) -> None:
    requests = head([]) * 2000  # about 80 KB in one write, each head about 40 bytes
    assert len(requests) > 64 * 1024
    with connect(shared) as sock:
        sock.sendall(requests)
        answers = read_responses(sock, 2000)
    assert [answer[0] for answer in answers] == [200] * 2000


@pytest.mark.parametrize(
    ("refused", "reason"),
    [
        (b"FOO /v1/health HTTP/1.1\r\nHost: test\r\n\r\n", "Invalid method"),
        (b"CONNECT test:443 HTTP/1.1\r\nHost: test\r\n\r\n", "Invalid request target"),
        (b"GET /v1/health HTTP/1.1\r\nHost: test\r\nX-\x7fBad: 1\r\n\r\n", "Invalid header"),
        (b"GET /v1/health?q=\xff HTTP/1.1\r\nHost: test\r\n\r\n", "Invalid char in url query"),
        (
            b"POST /v1/health HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            "Transfer-Encoding can't be present with Content-Length",
        ),
    ],
    ids=["method", "connect", "header-name", "raw-0xff", "length-and-chunked"],
)
def test_a_request_the_parser_refuses_is_a_400_problem_logged_and_counted(
    shared: ServedInThread, refused: bytes, reason: str
) -> None:
    sample = 'conversations_requests_total{operation="refused",status="400"}'
    counted = metric(shared, sample)
    with connect(shared) as sock:
        sock.sendall(refused)
        status, headers, body = read_response(sock)
        closed_within(sock, 5)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["detail"].startswith("The request is not valid HTTP/1.1: " + reason)
    assert problem["request_id"] == headers["x-request-id"]
    assert metric(shared, sample) == counted + 1
    wait_for_line(shared, "refused 400", headers["x-request-id"])


def test_the_head_timeout_applies_again_once_a_keep_alive_connection_has_answered(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(head_timeout_s=1, keep_alive_s=30)
    with connect(server) as sock:
        sock.sendall(head([]))
        assert read_response(sock)[0] == 200
        time.sleep(1.5)  # idle past the head timeout: kept alive, its next head not begun
        assert 0.8 < drip_a_head(sock) < 3


def test_at_the_connection_limit_the_connection_idle_longest_is_closed_not_the_newest_idle(
    serve: Callable[..., ServedInThread],
) -> None:
    server = serve(max_connections=4)
    first, second, third, fourth = idle = [connect(server) for _ in range(4)]
    try:
        for sock in idle:
            time.sleep(0.1)
            sock.sendall(head([]))
            assert read_response(sock)[0] == 200
        # The first connection answers again last: the second is now idle longest.
        time.sleep(0.1)
        first.sendall(head([]))
        assert read_response(first)[0] == 200
        time.sleep(0.1)
        with connect(server) as fifth:
            fifth.sendall(head([]))
            assert read_response(fifth)[0] == 200
        time.sleep(0.3)
        assert [still_open(sock) for sock in idle] == [True, False, True, True]
    finally:
        for sock in idle:
            sock.close()
