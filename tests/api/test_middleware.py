"""The middleware in process: body limit, collection alias, 405s, Host and transfer codings."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient


# Each test's requests are refused or read only, or write only with its own key, whose
# organization sees no other's conversations: one app serves the module (module_app).
@pytest.fixture(scope="module")
def sqlite_url(module_sqlite_url: str) -> str:
    return module_sqlite_url


@pytest.fixture(scope="module")
def app(module_app: TestClient) -> TestClient:
    return module_app


DEFAULT_LIMIT = 1024 * 1024
"""The documented default of CONVERSATIONS_MAX_BODY_BYTES: 1 MiB."""


def padded(size: int) -> bytes:
    """A valid update body of exactly size bytes: an unknown field pads it (ignored)."""
    head, tail = b'{"summary": "s", "padding": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def created(app: TestClient, key: dict[str, str]) -> str:
    answer = app.post("/conversations/", params={"agent_id": f"agent-{uuid.uuid4()}"}, headers=key)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def test_a_body_of_exactly_the_default_limit_is_accepted(
    app: TestClient, key: dict[str, str]
) -> None:
    url = f"/conversations/{created(app, key)}"
    body = padded(DEFAULT_LIMIT)
    assert len(body) == DEFAULT_LIMIT
    answer = app.patch(url, content=body, headers={**key, "content-type": "application/json"})
    assert answer.status_code == 200, answer.text


def test_one_byte_over_the_default_limit_is_a_413(app: TestClient, key: dict[str, str]) -> None:
    url = f"/conversations/{created(app, key)}"
    answer = app.patch(
        url, content=padded(DEFAULT_LIMIT + 1), headers={**key, "content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert str(DEFAULT_LIMIT) in answer.json()["detail"]
    assert app.get(url, headers=key).json()["summary"] is None, "a refused body changed it"


def test_a_chunked_body_is_measured_as_it_arrives(app: TestClient, key: dict[str, str]) -> None:
    url = f"/conversations/{created(app, key)}"

    def chunks(size: int) -> Iterator[bytes]:
        body = padded(size)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {**key, "content-type": "application/json"}
    assert app.patch(url, content=chunks(DEFAULT_LIMIT), headers=headers).status_code == 200
    assert app.patch(url, content=chunks(DEFAULT_LIMIT + 1), headers=headers).status_code == 413


def test_the_collection_is_served_without_its_trailing_slash(
    app: TestClient, key: dict[str, str]
) -> None:
    with_slash = app.get("/conversations/", headers=key)
    without = app.get("/conversations", headers=key, follow_redirects=False)
    assert without.status_code == with_slash.status_code == 200
    assert without.json() == with_slash.json()


def test_a_method_no_operation_of_the_path_has_is_a_405_naming_all_that_do(
    app: TestClient,
) -> None:
    answer = app.put("/conversations/conv-00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    assert answer.headers["content-type"] == "application/problem+json"


def test_post_to_metrics_is_a_405_naming_the_methods_it_takes(app: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE"):
        answer = app.request(method, "http://testserver/metrics")
        assert answer.status_code == 405, method
        assert answer.headers["allow"] == "GET, HEAD"
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert app.get("http://testserver/metrics").status_code == 200


def without_host(app: TestClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """The answer to a request with no Host field (Starlette's test client always adds one),
    sent through httpx's ASGI transport on the test client's event loop, where the app's
    store was opened."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app.app)
        async with httpx.AsyncClient(transport=transport, base_url=str(app.base_url)) as client:
            request = client.build_request(method, url, **kwargs)
            del request.headers["host"]
            return await client.send(request)

    assert app.portal is not None
    return app.portal.call(send)


def test_an_http11_request_without_host_or_with_two_is_a_400_and_changes_nothing(
    app: TestClient, key: dict[str, str]
) -> None:
    agent = {"agent_id": "agent-00000000-0000-4000-8000-000000000405"}
    create = {"params": agent, "json": {"summary": "s"}}
    two_hosts = [("host", "a.example"), ("host", "b.example")]
    answers = [
        without_host(app, "GET", "/health"),
        without_host(app, "GET", "http://testserver/metrics"),
        without_host(app, "POST", "/conversations/", headers=key, **create),
        app.get("/health", headers=two_hosts),
        app.post("/conversations/", headers=[*key.items(), *two_hosts], **create),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "Host" in answer.json()["detail"]
        assert answer.headers["x-request-id"] == answer.json()["request_id"]
    assert app.get("/conversations/", params=agent, headers=key).json() == [], "a 400 made one"


@pytest.mark.parametrize("coding", ["gzip, chunked", "gzip", "identity", "chunked, br"])
def test_a_transfer_coding_other_than_chunked_is_a_501_and_changes_nothing(
    app: TestClient, key: dict[str, str], coding: str
) -> None:
    agent = {"agent_id": "agent-00000000-0000-4000-8000-000000000501"}
    headers = {**key, "content-type": "application/json", "transfer-encoding": coding}
    answer = app.post("/conversations/", params=agent, content=b"{}", headers=headers)
    assert answer.status_code == 501, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert app.get("/conversations/", params=agent, headers=key).json() == [], "a 501 made one"


def test_chunked_in_any_case_is_accepted(app: TestClient, key: dict[str, str]) -> None:
    agent = {"agent_id": "agent-00000000-0000-4000-8000-000000000502"}
    headers = {**key, "content-type": "application/json", "transfer-encoding": "Chunked"}
    answer = app.post("/conversations/", params=agent, content=iter([b"{}"]), headers=headers)
    assert answer.status_code == 200, answer.text
