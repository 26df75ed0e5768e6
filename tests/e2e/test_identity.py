"""API keys decide who acts; organizations never see each other's conversations."""

import re
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support import TLS, Keys, Served, bearer, cli, mint_key

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

MISSING = "conv-00000000-0000-4000-8000-000000000000"


@pytest.fixture
def as_user(server: Served) -> Iterator[Callable[[str], httpx.Client]]:
    opened: list[httpx.Client] = []

    def open_client(key: str) -> httpx.Client:
        client = httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(key), timeout=10)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def alice(as_user: Callable[[str], httpx.Client], keys: Keys) -> httpx.Client:
    return as_user(keys.alice)


@pytest.fixture
def bob(as_user: Callable[[str], httpx.Client], keys: Keys) -> httpx.Client:
    return as_user(keys.bob)


@pytest.fixture
def carol(as_user: Callable[[str], httpx.Client], keys: Keys) -> httpx.Client:
    return as_user(keys.carol)


def create(client: httpx.Client, agent_id: str, summary: str = "secret plans") -> dict[str, str]:
    response = client.post(
        "/conversations/", params={"agent_id": agent_id}, json={"summary": summary}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def anonymized(response: httpx.Response, conversation_id: str) -> tuple[int, str, object]:
    """A 404 with the id it names blanked out, to compare two answers; each request has an id of
    its own."""
    body = response.json()
    body["detail"] = body["detail"].replace(conversation_id, "<id>")
    assert body.pop("request_id") == response.headers["x-request-id"]
    return response.status_code, response.headers["content-type"], body


OPERATIONS: dict[str, Callable[[httpx.Client, str], httpx.Response]] = {
    "retrieve": lambda client, cid: client.get(f"/conversations/{cid}"),
    "update": lambda client, cid: client.patch(f"/conversations/{cid}", json={"summary": "taken"}),
    "delete": lambda client, cid: client.delete(f"/conversations/{cid}"),
    "list after": lambda client, cid: client.get("/conversations/", params={"after": cid}),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_another_organizations_conversation_answers_exactly_like_a_missing_one(
    operation: str, alice: httpx.Client, carol: httpx.Client, agent_id: str
) -> None:
    carols = create(carol, agent_id)["id"]
    as_other = OPERATIONS[operation](alice, carols)
    as_missing = OPERATIONS[operation](alice, MISSING)
    assert as_other.status_code == 404
    assert anonymized(as_other, carols) == anonymized(as_missing, MISSING)
    unchanged = carol.get(f"/conversations/{carols}")
    assert unchanged.status_code == 200
    assert unchanged.json()["summary"] == "secret plans"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_own_organizations_conversation_is_reachable(
    operation: str, alice: httpx.Client, bob: httpx.Client, agent_id: str
) -> None:
    alices = create(alice, agent_id)["id"]
    assert OPERATIONS[operation](bob, alices).status_code == 200


def test_list_shows_only_the_callers_organization(
    alice: httpx.Client, bob: httpx.Client, carol: httpx.Client, agent_id: str
) -> None:
    alices, bobs, carols = create(alice, agent_id), create(bob, agent_id), create(carol, agent_id)
    for client, visible, hidden in (
        (alice, {alices["id"], bobs["id"]}, carols["id"]),
        (carol, {carols["id"]}, alices["id"]),
    ):
        listed = {
            c["id"] for c in client.get("/conversations/", params={"agent_id": agent_id}).json()
        }
        assert listed == visible and hidden not in listed
        searched = client.get("/conversations/", params={"summary_search": "secret"}).json()
        assert hidden not in {c["id"] for c in searched}


def test_each_organization_has_its_own_default_conversation(
    alice: httpx.Client, bob: httpx.Client, carol: httpx.Client, agent_id: str
) -> None:
    params = {"agent_id": agent_id}
    alices = alice.patch("/conversations/default", params=params, json={"summary": "acme"}).json()
    carols = carol.patch("/conversations/default", params=params, json={"summary": "globex"}).json()
    assert alices["id"] != carols["id"]
    assert bob.get("/conversations/default", params=params).json()["id"] == alices["id"]
    assert carol.get("/conversations/default", params=params).json()["summary"] == "globex"
    assert alice.delete("/conversations/default", params=params).status_code == 200
    assert carol.get(f"/conversations/{carols['id']}").status_code == 200


def test_the_acting_user_is_the_keys_user(
    alice: httpx.Client, bob: httpx.Client, agent_id: str
) -> None:
    created = create(alice, agent_id)
    bobs_own = create(bob, agent_id)
    assert re.fullmatch(r"user-[0-9a-f-]{36}", created["created_by_id"])
    assert created["created_by_id"] != bobs_own["created_by_id"]
    updated = bob.patch(f"/conversations/{created['id']}", json={"summary": "bob was here"}).json()
    assert updated["created_by_id"] == created["created_by_id"]
    assert updated["last_updated_by_id"] == bobs_own["created_by_id"]


def test_identity_headers_change_nothing(
    alice: httpx.Client, carol: httpx.Client, agent_id: str
) -> None:
    carols = create(carol, agent_id)
    alices = create(alice, agent_id)
    spoofed = {
        "user_id": carols["created_by_id"],
        "user-id": carols["created_by_id"],
        "X-Organization-Id": "org-00000000-0000-4000-8000-000000000000",
    }
    assert alice.get(f"/conversations/{carols['id']}", headers=spoofed).status_code == 404
    updated = alice.patch(f"/conversations/{alices['id']}", json={}, headers=spoofed).json()
    assert updated["last_updated_by_id"] == alices["created_by_id"]


BAD_AUTHORIZATION: dict[str, str | bytes | None] = {
    "missing": None,
    "empty bearer": "Bearer",
    "other scheme": "Basic YWxpY2U6c2VjcmV0",
    "not a key": "Bearer not-a-key",
    "unknown key id": "Bearer lck_0123456789abcdef_" + "A" * 43,
    "lowercase scheme, junk": "bearer lck_",
    "non-ascii": "Bearer lck_ü".encode(),
}


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
def test_a_bad_key_is_a_401_that_reads_and_changes_nothing(
    authorization: str, server: Served, alice: httpx.Client, agent_id: str
) -> None:
    conversation = create(alice, agent_id)
    value = BAD_AUTHORIZATION[authorization]
    # Bytes as they go on the wire: one of the values is not ASCII.
    raw = value.encode() if isinstance(value, str) else value
    headers = {} if raw is None else {b"Authorization": raw}
    with httpx.Client(
        verify=TLS, base_url=server.api_url, headers=headers, timeout=10
    ) as anonymous:
        for response in (
            anonymous.get(f"/conversations/{conversation['id']}"),
            anonymous.patch(f"/conversations/{conversation['id']}", json={"summary": "vandal"}),
            anonymous.delete(f"/conversations/{conversation['id']}"),
            anonymous.post("/conversations/", params={"agent_id": agent_id}),
            anonymous.get("/conversations/"),
        ):
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 401
    assert alice.get(f"/conversations/{conversation['id']}").json() == conversation
    assert len(alice.get("/conversations/", params={"agent_id": agent_id}).json()) == 1


def test_a_tampered_secret_is_a_401(server: Served, keys: Keys, alice: httpx.Client) -> None:
    tampered = keys.alice[:-1] + ("A" if keys.alice[-1] != "A" else "B")
    response = httpx.get(f"{server.api_url}/conversations/", headers=bearer(tampered), verify=TLS)
    assert response.status_code == 401


@pytest.mark.client_only(False)  # mints and revokes a key in this thread: traced
def test_a_revoked_key_stops_working_at_once_on_a_running_server(
    server: Served, as_user: Callable[[str], httpx.Client], agent_id: str
) -> None:
    key = mint_key(server.database_url, "acme", f"temp-{uuid.uuid4()}")
    client = as_user(key)
    assert client.get("/conversations/").status_code == 200
    key_id = key.split("_")[1]
    revoked = cli("keys", "revoke", key_id, database_url=server.database_url)
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/conversations/").status_code == 401
    assert client.post("/conversations/", params={"agent_id": agent_id}).status_code == 401


def test_the_spec_and_docs_need_no_key(server: Served) -> None:
    assert httpx.get(f"{server.api_url}/openapi.json", verify=TLS).status_code == 200
    assert httpx.get(f"{server.api_url}/ui/", verify=TLS).status_code == 200
