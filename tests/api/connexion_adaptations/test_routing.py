"""Routing without Starlette's trailing-slash redirects: a path the spec does not declare is a
404 problem, and no answer builds a URL from the client's Host header."""

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from server_impl.storage import store_for
from tests.support import in_process, mint_key_in_process, new_sqlite_database

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
