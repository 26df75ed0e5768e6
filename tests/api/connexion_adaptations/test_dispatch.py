"""The dispatcher: runs the handler of the operation connexion's routing chose, and answers
404 for a path no operation serves."""

import asyncio
from collections.abc import Iterator

import pytest
from connexion.exceptions import ProblemException
from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient
from starlette.types import Message, Scope

from server_impl.api.connexion_adaptations.dispatch import (
    Dispatcher,
    Handler,
    routed_operation_id,
)
from server_impl.storage import store_for
from tests.support import in_process, new_sqlite_database


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = new_sqlite_database(tmp_path_factory.mktemp("dispatch"))
    with in_process(store_for(url)) as client:
        yield client


def test_the_scope_extension_read_is_the_one_connexion_routing_writes() -> None:
    # The dispatcher reads connexion's routing result by this name; renamed, nothing routes.
    assert ROUTING_CONTEXT == "connexion_routing"


def test_the_routed_operation_id_is_read_from_connexions_routing_extension() -> None:
    routed = {"extensions": {"connexion_routing": {"api_base_path": "/v1", "operation_id": "op"}}}
    assert routed_operation_id(routed) == "op"


@pytest.mark.parametrize(
    "scope",
    [{}, {"extensions": {}}, {"extensions": {"connexion_routing": {}}}],
    ids=["no extensions", "no routing extension", "routing without operation"],
)
def test_a_request_no_operation_matched_has_no_routed_operation_id(scope: Scope) -> None:
    assert routed_operation_id(scope) is None


def run_dispatcher(dispatcher: Dispatcher, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(dispatcher(scope, receive, send))
    return sent


def http_scope(path: str, operation_id: str | None) -> Scope:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [],
        "query_string": b"",
    }
    if operation_id is not None:
        scope["extensions"] = {"connexion_routing": {"operation_id": operation_id}}
    return scope


def test_the_dispatcher_calls_the_handler_of_the_routed_operation_only() -> None:
    called: list[str] = []

    def handler(name: str) -> Handler:
        async def handle(request: Request) -> Response:
            called.append(name)
            return JSONResponse({"handled_by": name, "path": request.url.path})

        return handle

    dispatcher = Dispatcher({"one": handler("one"), "two": handler("two")})
    sent = run_dispatcher(dispatcher, http_scope("/v1/x", "two"))
    assert called == ["two"]
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b'{"handled_by":"two","path":"/v1/x"}'


@pytest.mark.parametrize("operation_id", [None, "not_a_handler"])
def test_the_dispatcher_raises_not_found_naming_the_path_when_no_handler_matches(
    operation_id: str | None,
) -> None:
    # connexion's exception middleware turns the problem into the 404 answer.
    with pytest.raises(ProblemException) as raised:
        run_dispatcher(Dispatcher({}), http_scope("/v1/nowhere", operation_id))
    assert raised.value.status_code == 404
    assert "/v1/nowhere" in raised.value.detail


def test_an_unknown_path_answers_a_404_problem_naming_the_path(client: TestClient) -> None:
    response = client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "/v1/no-such-thing" in response.json()["detail"]


def test_a_routed_request_reaches_its_handler(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
