"""Swagger UI's router, consulted only for the documentation's own paths, matched exactly."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from connexion.middleware import swagger_ui
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from server_impl.api.connexion_adaptations.swagger_ui import SPEC_FILES, DocsOnlySwaggerUI
from server_impl.storage import store_for
from tests.support import connexion_of, in_process, new_sqlite_database

DOCS = ["/openapi.json", "/openapi.yaml", "/ui/", "/ui/index.html", "/ui/swagger-ui.css"]
# Paths that merely look like documentation: the API answers them.
LOOKALIKES = [
    "/conversations/ui",
    "/uix",
    "/ui.json",
    "/openapi.jsonx",
    "/openapi.yml",
    "/conversations/openapi.json",
    "/health/ui/",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = new_sqlite_database(tmp_path_factory.mktemp("swagger_ui"))
    with in_process(store_for(url)) as client:
        yield client


@pytest.fixture(scope="module")
def docs_layer(client: TestClient) -> DocsOnlySwaggerUI:
    app = connexion_of(client.app)
    (layer,) = [m for m in app.middleware_stack if isinstance(m, DocsOnlySwaggerUI)]
    return layer


@pytest.fixture
def docs_router_calls(docs_layer: DocsOnlySwaggerUI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the documentation router is handed, from now on."""
    calls: list[str] = []
    router = docs_layer.router
    # Spec files answered before are replayed without the router: forgotten, for each test.
    monkeypatch.setattr(docs_layer, "_kept", {})

    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await router(scope, receive, send)

    monkeypatch.setattr(docs_layer, "router", recorded)
    return calls


def test_the_spec_is_served_as_json_and_yaml_without_a_key(client: TestClient) -> None:
    as_json = client.get("/openapi.json")
    assert as_json.status_code == 200
    assert as_json.json()["info"]["title"] == "Letta Conversations API"
    as_yaml = client.get("/openapi.yaml")
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("text/yaml")
    assert "title: Letta Conversations API" in as_yaml.text


def test_the_ui_page_is_served_as_html_without_a_key(client: TestClient) -> None:
    response = client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text


def test_the_ui_folder_without_its_slash_redirects_to_it(client: TestClient) -> None:
    response = client.get("/ui", follow_redirects=False)
    assert response.status_code in (301, 302, 307, 308)
    assert urlsplit(response.headers["location"]).path == "/v1/ui/"


@pytest.mark.parametrize("path", DOCS)
def test_documentation_paths_go_to_the_documentation_router(
    client: TestClient, docs_router_calls: list[str], path: str
) -> None:
    assert client.get(path).status_code == 200
    assert docs_router_calls == [f"/v1{path}"]


@pytest.mark.parametrize("path", [*LOOKALIKES, "/health", "/conversations/"])
def test_other_paths_never_reach_the_documentation_router(
    client: TestClient, docs_router_calls: list[str], path: str
) -> None:
    # The point of the adaptation: every API request used to be matched against its routes.
    client.get(path)
    assert docs_router_calls == []


@pytest.mark.parametrize("path", LOOKALIKES)
def test_paths_that_only_look_like_documentation_get_the_apis_answer(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code in (401, 404, 405, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/v1/openapi.json", True),
        ("/v1/openapi.yaml", True),
        ("/v1/ui", True),
        ("/v1/ui/", True),
        ("/v1/ui/index.html", True),
        ("/v1/ui/swagger-ui-bundle.js", True),
        ("/openapi.json", False),
        ("/ui/", False),
        ("/v1", False),
        ("/v1/", False),
        *((f"/v1{path}", False) for path in LOOKALIKES),
    ],
)
def test_the_documentation_paths_are_matched_exactly(
    docs_layer: DocsOnlySwaggerUI, path: str, served: bool
) -> None:
    assert docs_layer.serves(path) is served


def test_the_spec_with_a_trailing_slash_is_a_404_problem(client: TestClient) -> None:
    # It was a redirect to a URL built from the Host header.
    answer = client.get("/openapi.json/", follow_redirects=False)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_each_spec_file_is_written_once_and_served_alike_to_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # connexion wrote them for every request, without a key: the YAML took 1.17 s of CPU on the
    # event loop, during which the process served nobody else. Written here by stand-ins that
    # count (connexion's own writers are test_the_spec_is_served_as_json_and_yaml_without_a_key's).
    written: list[str] = []

    def yaml_written(spec: Any) -> str:
        written.append("yaml")
        return f"title: {spec['info']['title']}\n"

    class JsonWritten:
        def dumps(self, spec: Any) -> str:
            written.append("json")
            return json.dumps(spec["info"])

    monkeypatch.setattr(swagger_ui, "yamldumper", yaml_written)
    monkeypatch.setattr(swagger_ui, "Jsonifier", JsonWritten)
    with in_process(store_for(new_sqlite_database(tmp_path))) as client:
        answers = {path: [client.get(path) for _ in range(3)] for path in SPEC_FILES}
        head = client.head("/openapi.yaml")
    assert sorted(written) == ["json", "yaml"]
    for first, *later in answers.values():
        assert first.status_code == 200
        for again in later:
            assert again.content == first.content
            assert again.headers["content-type"] == first.headers["content-type"]
            # Each answer has its own request id, once: the kept headers are not added to.
            assert again.headers.get_list("x-request-id") != first.headers.get_list("x-request-id")
            assert len(again.headers.get_list("x-request-id")) == 1
    assert head.status_code == 200 and head.content == b""
    assert answers["/openapi.yaml"][0].text == "title: Letta Conversations API\n"
