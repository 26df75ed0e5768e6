"""Routing without Starlette's trailing-slash redirects: a path the spec does not declare is a
404 problem, and no answer builds a URL from the client's Host header. A request for a route is
matched directly and handed on exactly as Starlette's routers hand it on."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from connexion.middleware.routing import RoutingMiddleware
from connexion.spec import Specification
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from server_impl.api.app import SPEC_PATH
from server_impl.api.connexion_adaptations.routing import NoSlashRedirectRouting
from server_impl.api.parameters import HTTP_METHODS
from server_impl.storage import store_for
from tests.support import connexion_of, in_process, mint_key_in_process, new_sqlite_database

ITEM = "/v1/conversations/conv-00000000-0000-4000-8000-000000000000"
HOST = "attacker.example"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = new_sqlite_database(tmp_path_factory.mktemp("routing"))
    key = {"Authorization": f"Bearer {mint_key_in_process(url)}"}
    with in_process(store_for(url)) as client:
        yield client, key


def send(
    app: tuple[TestClient, dict[str, str]], method: str, path: str, *, key: bool
) -> httpx.Response:
    """The answer to method path, sent with Host: attacker.example."""
    client, headers = app
    url = f"http://{HOST}{path}"
    response: httpx.Response = client.request(
        method, url, headers=headers if key else {}, follow_redirects=False
    )
    return response


@pytest.mark.parametrize("key", [True, False], ids=["with a key", "without a key"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "POST"])
@pytest.mark.parametrize(
    "path",
    [f"{ITEM}/", "/v1/conversations/default/", "/v1/health/", "/v1/health/ready/"],
)
def test_a_trailing_slash_on_a_path_declared_without_one_is_a_404_problem(
    app: tuple[TestClient, dict[str, str]], method: str, path: str, key: bool
) -> None:
    # Starlette answered 307 with a Location built from the Host header, for any method and
    # without a key.
    response = send(app, method, path, key=key)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/v1",
        "/v1/",
        "/",
        "/v1/conversations",
        "/v1/conversations/",
        f"{ITEM}/",
        "/v1/conversations/default/",
        "/v1/health/",
        "/v1/openapi.json/",
        "/v1/openapi.yaml/",
        "/v1/ui",
        "/v1/ui/",
        "/v1/ui/index.html/",
    ],
)
@pytest.mark.parametrize("key", [True, False], ids=["with a key", "without a key"])
def test_no_answer_builds_a_url_from_the_host_header(
    app: tuple[TestClient, dict[str, str]], path: str, key: bool
) -> None:
    response = send(app, "GET", path, key=key)
    assert HOST not in str(response.headers.multi_items()), response.headers
    assert HOST not in response.text


@pytest.fixture(scope="module")
def routing(app: tuple[TestClient, dict[str, str]]) -> tuple[NoSlashRedirectRouting, list[Scope]]:
    """A routing layer with this app's APIs in front of a layer that records what it gets."""
    seen: list[Scope] = []

    async def record(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(scope)

    layer = NoSlashRedirectRouting(record)
    for api in connexion_of(app[0].app).apis:
        layer.add_api(api.specification, base_path=api.base_path, **api.kwargs)
    return layer, seen


def request(method: str, path: str) -> Scope:
    return {
        "type": "http", "method": method, "path": path, "root_path": "", "headers": [],
        "query_string": b"", "extensions": {"earlier": {"kept": True}},
    }  # fmt: skip


ROUTES = [
    (method.upper(), "/v1" + path.replace("{conversation_id}", ITEM.rsplit("/", 1)[1]))
    for path, item in Specification.load(SPEC_PATH)["paths"].items()
    for method in item
    if method in HTTP_METHODS
]


@pytest.mark.parametrize(("method", "path"), ROUTES + [("HEAD", "/v1/health")])
def test_a_request_for_a_route_is_handed_on_as_starlettes_routers_hand_it_on(
    routing: tuple[NoSlashRedirectRouting, list[Scope]], method: str, path: str
) -> None:
    layer, seen = routing
    seen.clear()
    asyncio.run(layer(request(method, path), receive, ignore))  # matched directly
    asyncio.run(RoutingMiddleware.__call__(layer, request(method, path), receive, ignore))
    direct, through_starlette = seen
    assert direct == through_starlette
    assert direct["extensions"]["connexion_routing"]["operation_id"] is not None
    assert layer.route(request(method, path)) is not None  # not by falling back


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/v1/conversations/"), ("GET", "/v1/nothing"), ("GET", f"{ITEM}/"), ("GET", "/")],
)
def test_anything_else_goes_through_starlettes_routers(
    routing: tuple[NoSlashRedirectRouting, list[Scope]], method: str, path: str
) -> None:
    layer, seen = routing
    assert layer.route(request(method, path)) is None
    seen.clear()
    asyncio.run(layer(request(method, path), receive, ignore))
    direct = list(seen)
    seen.clear()
    asyncio.run(RoutingMiddleware.__call__(layer, request(method, path), receive, ignore))
    # Handed on without an operation, or (a route without that method) answered 405 there.
    assert direct == seen
    assert all(s["extensions"]["connexion_routing"]["operation_id"] is None for s in seen)


async def receive() -> Message:
    return {"type": "http.request", "body": b""}


async def ignore(_message: Message) -> None:
    pass
