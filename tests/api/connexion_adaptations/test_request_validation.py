"""Request validation prepared once per operation and media type, with the Content-Type read
from the raw headers (charset included), through the real app."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.types import Message

from server_impl.api.connexion_adaptations.request_validation import (
    CachingRequestValidationMiddleware,
    CachingRequestValidationOperation,
)
from server_impl.api.connexion_adaptations.uri_parser import StringPathURIParser
from server_impl.api.connexion_adaptations.validators import ProblemParameterValidator
from server_impl.storage import store_for
from tests.support import bearer, connexion_of, in_process, mint_key_in_process, new_sqlite_database

BODY = b'{"summary": "kept"}'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = new_sqlite_database(tmp_path_factory.mktemp("request_validation"))
    key = mint_key_in_process(url)
    with in_process(store_for(url)) as client:
        client.headers.update(bearer(key))
        yield client


@pytest.fixture
def conversation(client: TestClient) -> str:
    """The path of a new conversation, summary "kept"."""
    created = client.post(
        "/conversations/", params={"agent_id": f"agent-{uuid.uuid4()}"}, json={"summary": "kept"}
    )
    assert created.status_code == 200, created.text
    return f"/conversations/{created.json()['id']}"


def validation_of(client: TestClient, operation_id: str) -> CachingRequestValidationOperation:
    """The request validation layer of one operation, in the running app."""
    app = connexion_of(client.app)
    layer = next(
        m for m in app.middleware_stack if isinstance(m, CachingRequestValidationMiddleware)
    )
    (api,) = layer.apis["/v1"]
    operation = api.operations[operation_id]
    assert isinstance(operation, CachingRequestValidationOperation)
    return operation


@pytest.fixture
def update_validation(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> CachingRequestValidationOperation:
    """update_conversation's validation layer, with nothing remembered yet (whatever ran before)."""
    operation = validation_of(client, "update_conversation")
    monkeypatch.setattr(operation, "_bodies", {})
    return operation


def patch(client: TestClient, path: str, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {} if content_type is None else {"content-type": content_type}
    response: httpx.Response = client.patch(path, content=body, headers=headers)
    return response


def assert_problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


def count_instances(monkeypatch: pytest.MonkeyPatch, cls: Any) -> list[object]:
    """Every instance of cls made from now on (until the test ends)."""
    made: list[object] = []
    original = cls.__init__

    def init(self: object, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", init)
    return made


def test_the_uri_parser_and_parameter_validator_are_not_rebuilt_per_request(
    client: TestClient, conversation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # connexion builds both (the URI parser twice) on every request; the adaptation at startup.
    uri_parsers = count_instances(monkeypatch, StringPathURIParser)
    parameter_validators = count_instances(monkeypatch, ProblemParameterValidator)
    assert client.get(conversation).status_code == 200
    assert client.patch(conversation, json={"summary": "a"}).status_code == 200
    assert client.get("/conversations/", params={"limit": 5}).status_code == 200
    assert uri_parsers == []
    assert parameter_validators == []


@pytest.mark.parametrize("operation_id", ["retrieve_conversation", "list_conversations"])
def test_the_apps_operations_parse_uris_with_the_string_path_parser(
    client: TestClient, operation_id: str
) -> None:
    assert isinstance(validation_of(client, operation_id)._uri_parser, StringPathURIParser)


def test_requests_with_the_same_content_type_share_one_body_plan(
    client: TestClient, conversation: str, update_validation: CachingRequestValidationOperation
) -> None:
    assert patch(client, conversation, b'{"summary": "a"}', "application/json").status_code == 200
    first = update_validation._bodies["application/json"]
    assert patch(client, conversation, b'{"summary": "b"}', "application/json").status_code == 200
    assert list(update_validation._bodies) == ["application/json"]
    assert update_validation._bodies["application/json"] is first


def test_a_content_type_the_operation_does_not_consume_is_a_415_and_is_not_remembered(
    client: TestClient, conversation: str, update_validation: CachingRequestValidationOperation
) -> None:
    # Only consumed types are remembered, so what clients send cannot grow the cache.
    assert patch(client, conversation, BODY, "application/json").status_code == 200
    for content_type in ("text/plain", "application/xml", "text/plain; charset=utf-8"):
        detail = assert_problem(patch(client, conversation, BODY, content_type), 415)
        assert content_type.split(";")[0] in detail
    assert list(update_validation._bodies) == ["application/json"]


def test_a_charset_after_semicolon_and_space_is_read(
    client: TestClient, conversation: str, update_validation: CachingRequestValidationOperation
) -> None:
    # connexion's own helper misses "; charset=…" and would decode latin-1 as UTF-8.
    assert update_validation.extract_content_type(
        [(b"content-type", b"application/json; charset=latin-1")]
    ) == ("application/json", "latin-1")
    response = patch(client, conversation, b'{"summary": "x"}', "application/json; charset=latin-1")
    assert "latin-1" in assert_problem(response, 415)
    assert client.get(conversation).json()["summary"] == "kept"


def test_a_utf8_charset_without_a_space_is_accepted(client: TestClient, conversation: str) -> None:
    body = '{"summary": "naïve"}'.encode()
    response = patch(client, conversation, body, "application/json;charset=UTF-8")
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "naïve"


def test_a_body_without_content_type_is_read_as_the_first_type_the_operation_consumes(
    client: TestClient, conversation: str, update_validation: CachingRequestValidationOperation
) -> None:
    assert update_validation.extract_content_type([]) == ("application/json", "utf-8")
    assert validation_of(client, "list_conversations").extract_content_type([]) == (
        "application/octet-stream",
        "utf-8",
    )
    # Read as JSON, so validated as JSON: a wrong type is a 422, a right one is stored.
    assert_problem(patch(client, conversation, b'{"summary": 5}', None), 422)
    response = patch(client, conversation, b'{"summary": "no header"}', None)
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "no header"


def test_an_upper_case_content_type_does_not_switch_body_validation_off(
    client: TestClient, conversation: str, update_validation: CachingRequestValidationOperation
) -> None:
    # The plan was once kept under the lower-case type but built from the type as sent, which
    # connexion's case-sensitive lookup gave no schema: later JSON bodies went unchecked.
    assert patch(client, conversation, b'{"summary": "a"}', "APPLICATION/JSON").status_code == 200
    assert_problem(patch(client, conversation, b'{"summary": 5}', "application/json"), 422)


def test_content_types_sent_to_an_operation_without_a_body_are_not_all_remembered(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any client, without a key, could grow the cache by one entry per invented type.
    liveness = validation_of(client, "check_liveness")
    monkeypatch.setattr(liveness, "_bodies", {})
    for n in range(20):
        assert client.get("/health", headers={"content-type": f"x-test/{n}"}).status_code == 200
    assert len(liveness._bodies) <= 1


def test_a_client_that_leaves_before_its_body_arrives_changes_nothing(
    client: TestClient, conversation: str
) -> None:
    # connexion's body reader takes the disconnect for the body's end: the PATCH went on with
    # no body and touched updated_at (the e2e test's teardown saw it once in a while).
    before = client.get(conversation).json()
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": f"/v1{conversation}",
        "raw_path": f"/v1{conversation}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", client.headers["authorization"].encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"30"),
        ],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def patch_then_leave() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(patch_then_leave)
    assert client.get(conversation).json() == before
