"""The `default` alias: an agent's default conversation, created on first use."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    delete_conversation,
    delete_default_conversation,
    list_conversations,
    retrieve_conversation,
    retrieve_default_conversation,
    update_conversation,
    update_default_conversation,
)
from letta_conversations_client.models import Conversation, ConversationUpdate

from server_impl._generated.models import Conversation as ConversationModel
from tests.support import (
    TLS,
    Keys,
    Served,
    bearer,
    mint_key_in_process,
    refuse_summary,
    run_async,
    serve_in_thread,
)

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

RACE_SECONDS = 3.0
RACERS = 4


def default_of(client: AuthenticatedClient, agent_id: str) -> Conversation:
    found = retrieve_default_conversation.sync(client=client, agent_id=agent_id)
    assert isinstance(found, Conversation), found
    return found


def test_retrieve_creates_it_once_and_answers_its_real_id(
    client: AuthenticatedClient, agent_id: str
) -> None:
    first = default_of(client, agent_id)
    assert first.id.startswith("conv-")
    assert first.agent_id == agent_id
    assert default_of(client, agent_id).to_dict() == first.to_dict()


def test_update_addresses_it_and_creates_it_on_first_use(
    client: AuthenticatedClient, agent_id: str
) -> None:
    updated = update_default_conversation.sync(
        client=client, agent_id=agent_id, body=ConversationUpdate(summary="via alias")
    )
    assert isinstance(updated, Conversation)
    assert updated.id.startswith("conv-")
    assert default_of(client, agent_id).summary == "via alias"


def test_its_real_id_works_everywhere(client: AuthenticatedClient, agent_id: str) -> None:
    real_id = default_of(client, agent_id).id
    updated = update_conversation.sync(real_id, client=client, body=ConversationUpdate(summary="s"))
    assert isinstance(updated, Conversation) and updated.id == real_id
    listed = list_conversations.sync(client=client, agent_id=agent_id)
    assert isinstance(listed, list) and [c.id for c in listed] == [real_id]
    deleted = delete_conversation.sync(real_id, client=client)
    assert isinstance(deleted, Conversation) and deleted.id == real_id


def test_each_agent_has_its_own(client: AuthenticatedClient, agent_id: str) -> None:
    other_agent = "agent-11111111-2222-4333-8444-555555555555"
    assert default_of(client, agent_id).id != default_of(client, other_agent).id


def test_the_alias_on_the_wire_is_the_official_sdks_path(http: httpx.Client, agent_id: str) -> None:
    updated = http.patch("/conversations/default", params={"agent_id": agent_id}, json={})
    assert updated.status_code == 200
    assert updated.json()["id"].startswith("conv-")


def test_default_is_never_stored_as_an_id(http: httpx.Client, agent_id: str) -> None:
    http.get("/conversations/default", params={"agent_id": agent_id})
    listed = http.get("/conversations/", params={"agent_id": agent_id}).json()
    assert [c["id"] for c in listed if c["id"] == "default"] == []


def test_deleting_it_makes_the_next_use_create_a_new_one(
    client: AuthenticatedClient, agent_id: str
) -> None:
    first = default_of(client, agent_id)
    deleted = delete_default_conversation.sync(client=client, agent_id=agent_id)
    assert isinstance(deleted, Conversation) and deleted.id == first.id
    assert retrieve_conversation.sync_detailed(first.id, client=client).status_code == 404
    second = default_of(client, agent_id)
    assert second.id != first.id


def test_deleting_a_default_that_does_not_exist_is_a_404(
    client: AuthenticatedClient, agent_id: str
) -> None:
    response = delete_default_conversation.sync_detailed(client=client, agent_id=agent_id)
    assert response.status_code == 404
    listed = list_conversations.sync(client=client, agent_id=agent_id)
    assert listed == []


def test_head_of_a_default_not_made_yet_is_a_404_and_makes_none(
    http: httpx.Client, agent_id: str
) -> None:
    params = {"agent_id": agent_id}
    answer = http.head("/conversations/default", params=params)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.content == b""
    assert http.get("/conversations/", params=params).json() == []
    assert http.delete("/conversations/default", params=params).status_code == 404


def test_head_of_the_default_answers_the_headers_of_get_without_a_body(
    http: httpx.Client, agent_id: str
) -> None:
    params = {"agent_id": agent_id}
    got = http.get("/conversations/default", params=params)
    head = http.head("/conversations/default", params=params)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-type", "content-length"):
        assert head.headers[name] == got.headers[name], name
    http.delete("/conversations/default", params=params)
    assert http.head("/conversations/default", params=params).status_code == 404


@pytest.mark.client_only(False)  # makes its server and key in this thread: traced
def test_an_update_of_the_default_that_fails_in_the_database_makes_no_default(
    engine: str, new_database: Callable[[str], str], tmp_path: Path, agent_id: str
) -> None:
    # The default was made, and kept, before an update that the database then refused (as
    # PostgreSQL refused U+0000 before the edge checked for it).
    database_url = new_database(engine)
    refuse_summary(database_url, "refused")
    server = serve_in_thread(database_url, tmp_path / "server.log")
    try:
        with httpx.Client(
            verify=TLS,
            base_url=server.api_url,
            headers=bearer(mint_key_in_process(database_url)),
            timeout=10,
        ) as http:
            params = {"agent_id": agent_id}
            refused = http.patch(
                "/conversations/default", params=params, json={"summary": "refused"}
            )
            assert refused.is_server_error, refused.text
            assert http.get("/conversations/", params=params).json() == []
    finally:
        server.stop()


def test_get_of_the_default_racing_its_delete_always_answers_a_whole_conversation(
    server: Served, keys: Keys, agent_id: str
) -> None:
    # GET made the default if missing, then read it: a DELETE committed in between left
    # nothing to read, and PostgreSQL answered 500.
    url, params = "/conversations/default", {"agent_id": agent_id}

    async def loop(client: httpx.AsyncClient, method: str, deadline: float) -> list[httpx.Response]:
        answers = []
        while time.monotonic() < deadline:
            answers.append(await client.request(method, url, params=params))
        return answers

    async def race() -> tuple[list[httpx.Response], list[httpx.Response]]:
        deadline = time.monotonic() + RACE_SECONDS
        async with httpx.AsyncClient(
            verify=TLS, base_url=server.api_url, headers=bearer(keys.alice), timeout=10
        ) as client:
            runs = await asyncio.gather(
                *(loop(client, "GET", deadline) for _ in range(RACERS)),
                *(loop(client, "DELETE", deadline) for _ in range(RACERS)),
            )
        return [a for run in runs[:RACERS] for a in run], [a for run in runs[RACERS:] for a in run]

    gets, deletes = run_async(race())
    assert {a.status_code for a in deletes} <= {200, 404}
    assert {a.status_code for a in gets} == {200}, [a.text for a in gets if a.status_code != 200]
    for answer in gets:
        conversation = ConversationModel.model_validate_json(answer.content)
        assert conversation.agent_id == agent_id and conversation.id.startswith("conv-")
        assert answer.headers["etag"].strip('"').isdigit()
    assert len({a.json()["id"] for a in gets}) > 1, "no delete came between the gets"
