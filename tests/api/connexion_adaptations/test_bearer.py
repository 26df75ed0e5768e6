"""The bearerAuth scheme, checked by the function given in code against the stored API keys."""

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from connexion.security import AbstractSecurityHandler
from starlette.testclient import TestClient

from server_impl.domain import keys
from server_impl.storage import store_for
from tests.support import bearer, in_process, mint_key_in_process, new_sqlite_database, run_async

CHALLENGE = 'Bearer realm="conversations"'


@dataclass(frozen=True)
class App:
    client: TestClient
    database_url: str
    key: str


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    url = new_sqlite_database(tmp_path_factory.mktemp("bearer"))
    key = mint_key_in_process(url)
    with in_process(store_for(url)) as client:
        yield App(client, url, key)


def assert_unauthorized(response: httpx.Response) -> str:
    """The detail of a 401 problem that names the scheme to use."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == CHALLENGE
    detail = str(response.json()["detail"])
    assert "Authorization: Bearer <key>" in detail
    return detail


def parts_of(key: str) -> keys.ParsedKey:
    parsed = keys.parse_key(key)
    assert parsed is not None
    return parsed


def test_a_request_without_authorization_is_a_401_telling_how_to_send_a_key(app: App) -> None:
    assert_unauthorized(app.client.get("/conversations/"))


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNzd29yZA==", "Token {key}", "Bearer", "{key}"],
    ids=["basic", "another scheme with the key", "bearer without a key", "the key alone"],
)
def test_an_authorization_that_is_not_a_bearer_key_is_a_401(app: App, authorization: str) -> None:
    # A valid key under another scheme is no bearer key.
    headers = {"Authorization": authorization.format(key=app.key)}
    assert_unauthorized(app.client.get("/conversations/", headers=headers))


@pytest.mark.parametrize(
    "wrong_key",
    [
        lambda key: "not-a-key",
        lambda key: f"lck_{key.key_id}_",
        lambda key: f"lck_{secrets.token_hex(8)}_{key.secret}",
        lambda key: f"lck_{key.key_id}_{secrets.token_urlsafe(32)}",
    ],
    ids=["malformed", "without a secret", "unknown key id", "right key id, wrong secret"],
)
def test_a_key_that_does_not_check_out_is_a_401(
    app: App, wrong_key: Callable[[keys.ParsedKey], str]
) -> None:
    presented = wrong_key(parts_of(app.key))
    detail = assert_unauthorized(app.client.get("/conversations/", headers=bearer(presented)))
    assert "not valid" in detail


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_valid_key_is_accepted_whatever_the_case_of_the_scheme(app: App, scheme: str) -> None:
    # Authentication schemes are case-insensitive (RFC 9110, 11.1).
    response = app.client.get("/conversations/", headers={"Authorization": f"{scheme} {app.key}"})
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)


def test_the_check_is_called_without_inspecting_its_signature_per_request(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # connexion's generic caller inspects the check's arguments on every request.
    inspected: list[Any] = []

    def accepts_kwarg(func: Any, keyword: str) -> bool:
        inspected.append(func)
        return False

    monkeypatch.setattr(AbstractSecurityHandler, "_accepts_kwarg", staticmethod(accepts_kwarg))
    assert app.client.get("/conversations/", headers=bearer(app.key)).status_code == 200
    assert inspected == []


def test_a_key_revoked_while_the_app_runs_is_refused_on_the_next_request(app: App) -> None:
    key = mint_key_in_process(app.database_url, user="revoked-later")
    assert app.client.get("/conversations/", headers=bearer(key)).status_code == 200

    async def revoke() -> bool | None:
        # Another process's store on the same database, as the `keys revoke` command would be.
        store = store_for(app.database_url)
        await store.open()
        try:
            return await keys.revoke(store, parts_of(key).key_id)
        finally:
            await store.close()

    assert run_async(revoke()) is True
    assert_unauthorized(app.client.get("/conversations/", headers=bearer(key)))
    assert app.client.get("/conversations/", headers=bearer(app.key)).status_code == 200


def test_a_request_refused_for_its_key_changes_nothing_stored(app: App) -> None:
    agent = f"agent-{uuid.uuid4()}"
    good = bearer(app.key)
    created = app.client.post(
        "/conversations/", params={"agent_id": agent}, json={"summary": "kept"}, headers=good
    )
    assert created.status_code == 200, created.text
    path = f"/conversations/{created.json()['id']}"
    before = app.client.get(path, headers=good).json()

    wrong = bearer(f"lck_{parts_of(app.key).key_id}_{secrets.token_urlsafe(32)}")
    assert_unauthorized(app.client.patch(path, json={"summary": "changed"}, headers=wrong))
    assert_unauthorized(app.client.delete(path, headers=wrong))
    assert_unauthorized(
        app.client.post("/conversations/", params={"agent_id": agent}, headers=wrong)
    )
    assert_unauthorized(app.client.patch(path, json={"summary": "changed"}))

    assert app.client.get(path, headers=good).json() == before
    listed = app.client.get("/conversations/", params={"agent_id": agent}, headers=good).json()
    assert [conversation["id"] for conversation in listed] == [before["id"]]


@pytest.mark.parametrize(
    "second",
    ["Bearer not-a-key", "{key}", "Bearer {key}", "Basic dXNlcjpwYXNzd29yZA=="],
    ids=["a wrong key", "the key alone", "the same key", "another scheme"],
)
def test_two_authorization_headers_are_a_400_and_change_nothing(app: App, second: str) -> None:
    # The first one used to act, whatever the second said.
    good = bearer(app.key)
    agent = f"agent-{uuid.uuid4()}"
    created = app.client.post("/conversations/", params={"agent_id": agent}, headers=good)
    path = f"/conversations/{created.json()['id']}"
    before = app.client.get(path, headers=good).json()
    values = [f"Bearer {app.key}", second.format(key=app.key)]
    for both in (values, values[::-1]):
        headers = [("Authorization", value) for value in both]
        answers = [
            app.client.get("/conversations/", headers=headers),
            app.client.get(path, headers=headers),
            app.client.patch(path, json={"summary": "changed"}, headers=headers),
            app.client.delete(path, headers=headers),
        ]
        for answer in answers:
            assert answer.status_code == 400, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert "one Authorization header" in answer.json()["detail"]
    assert app.client.get(path, headers=good).json() == before
