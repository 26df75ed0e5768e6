"""X-Request-Id on every answer, the client's when well formed, and in every problem body."""

import asyncio
import json
import re

import pytest
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from server_impl.api import problems
from server_impl.api.middleware.request_id import RequestId
from server_impl.observability import request_id


# Each test's requests are refused or read only, or write only with its own key, whose
# organization sees no other's conversations: one app serves the module (module_app).
@pytest.fixture(scope="module")
def sqlite_url(module_sqlite_url: str) -> str:
    return module_sqlite_url


@pytest.fixture(scope="module")
def app(module_app: TestClient) -> TestClient:
    return module_app


AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def made_here(value: str) -> bool:
    return re.fullmatch("[0-9a-f]{32}", value) is not None


@pytest.mark.parametrize("sent", ["abc", "a" * 128, "!~req:42/x", "0f1e2d3c-4b5a"])
def test_a_well_formed_id_is_answered_as_sent(
    app: TestClient, key: dict[str, str], sent: str
) -> None:
    answer = app.post(
        "/conversations/", params={"agent_id": AGENT}, headers={**key, "X-Request-Id": sent}
    )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == sent


@pytest.mark.parametrize("sent", ["", "a" * 129, "two words", "tab\there", "é"])
def test_an_ill_formed_id_is_replaced_never_refused(app: TestClient, sent: str) -> None:
    answer = app.get("/health", headers={"X-Request-Id": sent.encode()})
    assert answer.status_code == 200
    assert made_here(answer.headers["x-request-id"])


def test_without_one_each_answer_gets_a_new_id(app: TestClient) -> None:
    ids = {app.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(made_here(value) for value in ids)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b", 401),
        ("GET", "/nothing-here", 404),
        ("PUT", "/conversations/", 405),
        # Starlette's HTTPException, raised under the documentation's paths.
        ("DELETE", "/ui/", 405),
        ("GET", "/ui/nothing.js", 404),
    ],
)
def test_every_problem_carries_the_id_of_its_request(
    app: TestClient, method: str, path: str, status: int
) -> None:
    answer = app.request(method, path, headers={"X-Request-Id": "quote-me"})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["request_id"] == "quote-me" == answer.headers["x-request-id"]
    assert int(answer.headers["content-length"]) == len(answer.content)


def test_a_422_and_a_404_of_the_rules_carry_it_too(app: TestClient, key: dict[str, str]) -> None:
    bad = app.get("/conversations/", params={"limit": 0}, headers=key)
    missing = app.get("/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b", headers=key)
    for answer, status in ((bad, 422), (missing, 404)):
        assert answer.status_code == status
        assert answer.json()["request_id"] == answer.headers["x-request-id"]


def test_render_writes_the_id_of_the_request_being_served_after_the_problem_members() -> None:
    token = request_id.current.set("quote-me")
    try:
        written = problems.render(418, "I'm a teapot", "é", ext={"invalid_params": []})
    finally:
        request_id.current.reset(token)
    # As connexion writes a problem (json.dumps), the id last: byte for byte what RequestId
    # made of connexion's problems when it re-wrote them.
    assert written.body == (
        b'{"type": "about:blank", "title": "I\'m a teapot", "detail": "\\u00e9", "status": 418,'
        b' "invalid_params": [], "request_id": "quote-me"}'
    )
    assert "request_id" not in json.loads(problems.render(418, "t", "d").body)  # outside one


def test_request_id_passes_every_body_as_sent_a_problem_too() -> None:
    # The renderer has put the id in the body: RequestId neither holds nor rewrites it.
    chunks = [b'{"title": "Teapot", ', b'"status": 418}']
    sent: list[Message] = []

    async def teapot(scope: Scope, receive: Receive, send: Send) -> None:
        head = [(b"content-type", b"application/problem+json"), (b"content-length", b"34")]
        await send({"type": "http.response.start", "status": 418, "headers": head})
        await send({"type": "http.response.body", "body": chunks[0], "more_body": True})
        assert len(sent) == 2  # the head and the first chunk have gone on already
        await send({"type": "http.response.body", "body": chunks[1]})

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"x-request-id", b"quote-me")]}
    asyncio.run(RequestId(teapot)(scope, receive, send))
    head, *bodies = sent
    assert (b"x-request-id", b"quote-me") in head["headers"]
    assert (b"content-length", b"34") in head["headers"]
    assert [body["body"] for body in bodies] == chunks
