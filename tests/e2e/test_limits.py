"""Fair shares on the wire, on both engines: an organization past its requests in flight gets
429 while another is served; a client address past its failed authentications gets 429 while
a good key from another address is served."""

import select
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import AGENT, Keys, ServedInThread, bearer, mint_key, serve_in_thread

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

FLOODER = {"X-Forwarded-For": "203.0.113.9"}
NEIGHBOUR = {"X-Forwarded-For": "198.51.100.7"}
BAD_KEY = {"Authorization": "Bearer lck_0000000000000000_secret"}


@pytest.fixture(scope="module")
def limited_server(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[str], str], engine: str
) -> Iterator[tuple[ServedInThread, Keys]]:
    """A server allowing one request in flight per organization and 3 failed authentications a
    minute per address, behind a trusted proxy on 127.0.0.1 (the test names each client)."""
    url = new_database(engine)
    keys = Keys(
        alice=mint_key(url, "acme", "alice"),
        bob=mint_key(url, "acme", "bob"),
        carol=mint_key(url, "globex", "carol"),
    )
    running = serve_in_thread(
        url,
        tmp_path_factory.mktemp("log") / "server.log",
        in_flight_per_organization=1,
        failed_authentications_per_minute=3,
        trusted_proxies="127.0.0.1",
    )
    yield running, keys
    running.stop()
    log = running.log_path.read_text()
    assert "Traceback" not in log, log


def status_of(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return int(data.split(b" ", 2)[1])


def until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def held_update(
    server: ServedInThread, item: str, key: str, length: int, refused: Callable[[], bool]
) -> socket.socket:
    """A connection with an update of item in flight, its head sent and its body of length
    bytes held back, once refused (a request of the same organization) says so. Sent again
    when it was itself refused: the server can take the first probe before it."""
    address = urlsplit(server.base_url)
    head = (
        f"PATCH /v1{item} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = socket.create_connection((address.hostname, address.port), timeout=10)
        held.sendall(head)
        while time.monotonic() < deadline:
            if select.select([held], [], [], 0)[0]:  # answered before its body: refused
                held.close()
                break
            if refused():
                return held
            time.sleep(0.05)
    raise AssertionError("the organization's second request in flight was served")


def test_an_organization_past_its_requests_in_flight_gets_429_while_another_is_served(
    limited_server: tuple[ServedInThread, Keys],
) -> None:
    server, keys = limited_server
    with httpx.Client(base_url=server.api_url, timeout=10) as http:

        def created(key: str) -> str:
            answer = http.post(
                "/conversations/",
                params={"agent_id": AGENT},
                json={"summary": "before"},
                headers=bearer(key),
            )
            return f"/conversations/{answer.json()['id']}"

        item, theirs = created(keys.alice), created(keys.carol)
        body = b"{}"

        def refused() -> bool:
            return http.get(item, headers=bearer(keys.bob)).status_code == 429

        with held_update(server, item, keys.alice, len(body), refused) as held:
            answer = http.patch(item, headers=bearer(keys.bob), json={"summary": "refused"})
            assert answer.status_code == 429
            assert answer.headers["retry-after"] == "1"
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["request_id"] == answer.headers["x-request-id"]
            assert http.get(theirs, headers=bearer(keys.carol)).status_code == 200
            held.sendall(body)
            assert status_of(held) == 200
        assert until(lambda: http.get(item, headers=bearer(keys.alice)).status_code == 200)
        assert http.get(item, headers=bearer(keys.alice)).json()["summary"] == "before"
        scrape = httpx.get(f"{server.base_url}/metrics").text
        assert 'conversations_requests_limited_total{reason="organization_in_flight"}' in scrape


def test_a_flood_of_bad_keys_from_one_address_gets_429_while_another_address_is_served(
    limited_server: tuple[ServedInThread, Keys],
) -> None:
    server, keys = limited_server
    with httpx.Client(base_url=server.api_url, timeout=10) as http:
        created = http.post(
            "/conversations/",
            params={"agent_id": AGENT},
            json={},
            headers={**bearer(keys.carol), **NEIGHBOUR},
        )
        item = "/conversations/" + created.json()["id"]
        answers = [http.get(item, headers={**BAD_KEY, **FLOODER}) for _ in range(10)]
        assert [answer.status_code for answer in answers] == [401] * 3 + [429] * 7
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 20  # 3 a minute: one in 20 s
        assert answers[-1].headers["content-type"] == "application/problem+json"
        good_from_flooder = http.delete(item, headers={**bearer(keys.carol), **FLOODER})
        assert good_from_flooder.status_code == 429
        assert http.get("/health", headers=FLOODER).status_code == 200
        served = http.get(item, headers={**bearer(keys.carol), **NEIGHBOUR})
        assert served.status_code == 200, "the refused delete changed nothing"
        scrape = httpx.get(f"{server.base_url}/metrics").text
        assert 'conversations_requests_limited_total{reason="unauthenticated"} 8.0' in scrape
    assert "Client 203.0.113.9 has used its 3 failed authentications" in server.log_path.read_text()
