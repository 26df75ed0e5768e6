"""Bad input gets a clear problem with the right 4xx status, and changes nothing stored."""

import gzip
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import AGENT, TLS, Served, fresh_key, start_server

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

ONE_MIB = 1024 * 1024
JSON = {"content-type": "application/json"}


@pytest.fixture
def conversation_url(http: httpx.Client, agent_id: str) -> Iterator[str]:
    created = http.post("/conversations/", params={"agent_id": agent_id}, json={"summary": "kept"})
    url = f"/conversations/{created.json()['id']}"
    before = http.get(url).json()
    yield url
    assert http.get(url).json() == before, "a rejected request changed what is stored"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return dict(body)


def test_malformed_json_is_a_400(http: httpx.Client, conversation_url: str) -> None:
    for raw in (b'{"summary": ', b"{summary: 1}", b"nul", b'{"summary": "a"} trailing', b"NaN"):
        assert_problem(http.patch(conversation_url, content=raw, headers=JSON), 400)


def test_a_body_that_is_not_utf8_is_a_400(http: httpx.Client, conversation_url: str) -> None:
    for raw in ('{"summary": "café"}'.encode("latin-1"), b'{"summary": "\xff\xfe"}'):
        assert_problem(http.patch(conversation_url, content=raw, headers=JSON), 400)


def test_a_lone_surrogate_is_a_400(http: httpx.Client, conversation_url: str) -> None:
    raw = b'{"summary": "\\ud800"}'
    assert_problem(http.patch(conversation_url, content=raw, headers=JSON), 400)


def test_a_wrong_content_type_is_a_415(http: httpx.Client, conversation_url: str) -> None:
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        response = http.patch(
            conversation_url, content=b'{"summary": "x"}', headers={"content-type": content_type}
        )
        assert_problem(response, 415)


def test_a_charset_other_than_utf8_is_a_415(http: httpx.Client, conversation_url: str) -> None:
    for charset in ("latin-1", "no-such-charset"):
        response = http.patch(
            conversation_url,
            content=b'{"summary": "x"}',
            headers={"content-type": f"application/json; charset={charset}"},
        )
        assert_problem(response, 415)


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "x-unknown", "identity, gzip"])
def test_a_body_with_a_content_coding_is_a_415_naming_the_accepted_one(
    http: httpx.Client, agent_id: str, conversation_url: str, coding: str
) -> None:
    # A gzip body got a misleading 400 and a plain body declared as gzip was applied.
    body = b'{"summary": "changed"}'
    for content in (gzip.compress(body), body):
        headers = {**JSON, "content-encoding": coding}
        answers = [
            http.patch(conversation_url, content=content, headers=headers),
            http.patch("/conversations/default", params={"agent_id": agent_id}, headers=headers),
            http.post("/conversations/", params={"agent_id": agent_id}, headers=headers),
        ]
        for answer in answers:
            assert_problem(answer, 415)
            assert answer.headers["accept-encoding"] == "identity"
    listed = http.get("/conversations/", params={"agent_id": agent_id}).json()
    assert [f"/conversations/{c['id']}" for c in listed] == [conversation_url], "a 415 made one"


def test_an_identity_content_coding_is_accepted(http: httpx.Client, agent_id: str) -> None:
    for coding in ("identity", "Identity"):
        response = http.post(
            "/conversations/",
            params={"agent_id": agent_id},
            content=b'{"summary": "plain"}',
            headers={**JSON, "content-encoding": coding},
        )
        assert response.status_code == 200, response.text
        assert response.json()["summary"] == "plain"


def test_a_utf8_charset_is_accepted(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    response = http.patch(
        f"/conversations/{created.json()['id']}",
        content='{"summary": "naïve"}'.encode(),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "naïve"


def test_a_body_over_the_limit_is_a_413(http: httpx.Client, conversation_url: str) -> None:
    raw = b'{"summary": "' + b"x" * ONE_MIB + b'"}'
    assert_problem(http.patch(conversation_url, content=raw, headers=JSON), 413)


def test_a_chunked_body_over_the_limit_is_a_413(http: httpx.Client, conversation_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"summary": "'
        for _ in range(24):
            yield b"x" * (64 * 1024)
        yield b'"}'

    assert_problem(http.patch(conversation_url, content=chunks(), headers=JSON), 413)


def test_a_declared_oversize_body_is_refused_before_it_is_sent(
    server: Served, conversation_url: str
) -> None:
    # Declares 1 GiB but sends a few bytes: only a server that reads no further answers at all.
    address = urlsplit(server.base_url)
    request = (
        f"PATCH /v1{conversation_url} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {1024**3}\r\n\r\n"
        '{"summary": "'
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(request)
        answer = connection.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "application/problem+json" in answer


def test_a_body_within_the_limit_is_accepted(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    summary = "y" * 10_000
    response = http.patch(f"/conversations/{created.json()['id']}", json={"summary": summary})
    assert response.status_code == 200
    assert response.json()["summary"] == summary


ITEM = "/conversations/conv-00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/conversations/", {"GET", "HEAD", "POST"}),
        ("/conversations", {"GET", "HEAD", "POST"}),
        (ITEM, {"GET", "HEAD", "PATCH", "DELETE"}),
        ("/conversations/default", {"GET", "HEAD", "PATCH", "DELETE"}),
    ],
)
@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "TRACE"])
def test_an_unsupported_method_is_a_405_whose_allow_lists_every_method(
    server: Served, path: str, allowed: set[str], method: str
) -> None:
    # schemathesis ST205 (unsupported method): connexion routes each operation on its own, so
    # its 405 named only the first operation's methods ("Allow: HEAD, GET" for an item that also
    # takes PATCH and DELETE).
    response = httpx.request(method, f"{server.api_url}{path}", verify=TLS)
    assert_problem(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


def test_an_unknown_path_is_a_404_problem(http: httpx.Client) -> None:
    assert_problem(http.get("/nothing-here"), 404)


def test_a_client_that_leaves_before_its_body_arrives_changes_nothing(
    server: Served, http: httpx.Client, conversation_url: str
) -> None:
    address = urlsplit(server.base_url)
    request = (
        f"PATCH /v1{conversation_url} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: {http.headers['authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 30\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(request)
    assert http.get(conversation_url).status_code == 200  # served after the one that left
    log = server.log_path.read_text()
    assert "Traceback" not in log, log


def test_a_nul_character_in_any_text_input_is_a_422_naming_it(
    http: httpx.Client, agent_id: str, conversation_url: str
) -> None:
    # schemathesis ST101 and ST103 on PostgreSQL: its text cannot hold U+0000, so storing one
    # was a 500 there, while SQLite stored it and a search for it matched every summary.
    nul = "before\u0000after"
    params = {"agent_id": agent_id}
    answers = {
        "create": (
            http.post("/conversations/", params=params, json={"summary": nul}),
            "body.summary",
        ),
        "update": (http.patch(conversation_url, json={"summary": nul}), "body.summary"),
        "update default": (
            http.patch("/conversations/default", params=params, json={"summary": nul}),
            "body.summary",
        ),
        "search": (
            http.get("/conversations/", params={"summary_search": "\u0000"}),
            "query.summary_search",
        ),
    }
    for what, (response, name) in answers.items():
        invalid = assert_problem(response, 422)["invalid_params"]
        assert isinstance(invalid, list) and [p["name"] for p in invalid] == [name], what
    listed = http.get("/conversations/", params=params).json()
    assert [f"/conversations/{c['id']}" for c in listed] == [conversation_url], "a 422 made one"


@pytest.mark.client_only(False)  # mints its key in this thread: traced
def test_a_long_value_is_neither_echoed_nor_logged_by_a_real_server(
    tmp_path: Path, new_database: Callable[[str], str]
) -> None:
    # A 1 MB summary was quoted twice in the 422 (2 MB) and once in a log line (1 MB).
    url = new_database("sqlite")
    key = fresh_key(url)
    # At the default log level, which also logs a line per request.
    server = start_server(url, tmp_path / "server.log", CONVERSATIONS_LOG_LEVEL="info")
    long = "x" * 1_000_000
    try:
        with httpx.Client(verify=TLS, base_url=server.api_url, headers=key, timeout=10) as http:
            params = {"agent_id": AGENT}
            created = http.post("/conversations/", params=params)
            answers = [
                http.post("/conversations/", params=params, json={"summary": long}),
                http.patch(f"/conversations/{created.json()['id']}", json={"summary": long}),
            ]
    finally:
        server.stop()
    for answer in answers:
        assert "at most 10000 characters" in str(assert_problem(answer, 422)["detail"])
        assert len(answer.content) < 2048
    log = server.log_path.read_text()
    assert "422" in log, "the server logged nothing about the requests: the test proves nothing"
    assert long[:100] not in log
    assert max(len(line) for line in log.splitlines()) < 1024
