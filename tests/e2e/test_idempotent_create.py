"""Idempotent create over HTTP, on both engines: a retry with the same Idempotency-Key gets the
first answer, replayed, and creates nothing; a different request with it gets 422; keys are per
organization; concurrent retries create one conversation; keys expire; a failed request leaves
its key free."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import create_conversation
from letta_conversations_client.models import Conversation, ConversationCreate

from tests.support import (
    TLS,
    Keys,
    Served,
    bearer,
    mint_key_in_process,
    refuse_summary,
    serve_in_thread,
)

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

RACING_RETRIES = 24


def idempotency_key() -> dict[str, str]:
    return {"Idempotency-Key": f"create-{uuid.uuid4()}"}


def listed(http: httpx.Client, agent_id: str) -> list[str]:
    page = http.get("/conversations/", params={"agent_id": agent_id, "archive_status": "all"})
    return [conversation["id"] for conversation in page.json()]


def assert_replay_of(replay: httpx.Response, first: httpx.Response) -> None:
    assert replay.status_code == first.status_code == 200, replay.text
    assert replay.content == first.content
    assert replay.headers["etag"] == first.headers["etag"]
    assert replay.headers["content-type"] == first.headers["content-type"]
    assert replay.headers["idempotent-replayed"] == "true"


def test_a_retry_gets_the_first_answer_replayed_and_creates_nothing(
    http: httpx.Client, agent_id: str
) -> None:
    key, params = idempotency_key(), {"agent_id": agent_id}
    first = http.post("/conversations/", params=params, json={"summary": "s"}, headers=key)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    url = f"/conversations/{first.json()['id']}"
    # Neither a change nor the deletion of the conversation changes the stored answer.
    assert http.patch(url, json={"summary": "changed"}).status_code == 200
    for _ in range(2):
        assert_replay_of(
            http.post("/conversations/", params=params, json={"summary": "s"}, headers=key),
            first,
        )
    assert http.delete(url).status_code == 200
    assert_replay_of(
        http.post("/conversations/", params=params, json={"summary": "s"}, headers=key), first
    )
    assert listed(http, agent_id) == []  # the one conversation, deleted: none made since


def test_the_same_body_is_the_same_whatever_its_member_order_and_whitespace(
    http: httpx.Client, agent_id: str
) -> None:
    headers = {**idempotency_key(), "Content-Type": "application/json"}
    params = {"agent_id": agent_id}
    first = http.post(
        "/conversations/",
        params=params,
        content=b'{"summary":"s","model":"openai/gpt-4o"}',
        headers=headers,
    )
    reordered = b'{ "model" : "openai\\/gpt-4o",\n  "summary" : "\\u0073" }'
    assert_replay_of(
        http.post("/conversations/", params=params, content=reordered, headers=headers), first
    )
    key = idempotency_key()
    empty = http.post("/conversations/", params=params, headers=key)
    assert_replay_of(http.post("/conversations/", params=params, json={}, headers=key), empty)
    assert len(listed(http, agent_id)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"json": {"summary": "other"}},
        {"json": {"summary": "s", "field this server does not know": 1}},
        {"params": {"agent_id": "agent-00000000-0000-4000-8000-000000000000"}},
    ],
    ids=["another body", "another unknown field", "another agent"],
)
def test_the_key_with_a_different_request_is_a_422_and_creates_nothing(
    http: httpx.Client, agent_id: str, change: dict[str, object]
) -> None:
    key = idempotency_key()
    request: dict[str, object] = {"params": {"agent_id": agent_id}, "json": {"summary": "s"}}
    first = http.post("/conversations/", headers=key, **request)  # type: ignore[arg-type]
    assert first.status_code == 200
    refused = http.post("/conversations/", headers=key, **{**request, **change})  # type: ignore[arg-type]
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["invalid_params"][0]["name"] == "header.Idempotency-Key"
    assert listed(http, agent_id) == [first.json()["id"]]
    other_agent = "agent-00000000-0000-4000-8000-000000000000"
    assert first.json()["id"] not in listed(http, other_agent)


def test_another_user_of_the_organization_with_the_key_gets_a_422(
    server: Served, keys: Keys, http: httpx.Client, agent_id: str
) -> None:
    key, params = idempotency_key(), {"agent_id": agent_id}
    first = http.post("/conversations/", params=params, headers=key)
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(keys.bob)) as bob:
        assert bob.post("/conversations/", params=params, headers=key).status_code == 422
    assert listed(http, agent_id) == [first.json()["id"]]


def test_another_organization_s_identical_key_is_another_key(
    server: Served, keys: Keys, http: httpx.Client, agent_id: str
) -> None:
    key, params = idempotency_key(), {"agent_id": agent_id}
    alices = http.post("/conversations/", params=params, json={"summary": "a"}, headers=key)
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(keys.carol)) as carol:
        carols = carol.post("/conversations/", params=params, json={"summary": "c"}, headers=key)
        assert carols.status_code == 200 and "idempotent-replayed" not in carols.headers
        assert carols.json()["id"] != alices.json()["id"]
        assert_replay_of(
            carol.post("/conversations/", params=params, json={"summary": "c"}, headers=key),
            carols,
        )
    assert_replay_of(
        http.post("/conversations/", params=params, json={"summary": "a"}, headers=key), alices
    )


def test_racing_retries_create_one_conversation_and_the_others_replay_it_or_get_409(
    server: Served, keys: Keys, http: httpx.Client, agent_id: str
) -> None:
    key, params = idempotency_key(), {"agent_id": agent_id}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            verify=TLS, base_url=server.api_url, headers={**bearer(keys.alice), **key}, timeout=30
        ) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post("/conversations/", params=params, json={"summary": "s"})
                        for _ in range(RACING_RETRIES)
                    )
                )
            )

    answers = asyncio.run(race())
    created = [answer for answer in answers if answer.status_code == 200]
    executed = [answer for answer in created if "idempotent-replayed" not in answer.headers]
    assert len(executed) == 1, [answer.headers for answer in created]
    for answer in created:
        assert answer.content == executed[0].content
        assert answer.headers["etag"] == executed[0].headers["etag"]
    for answer in answers:
        if answer.status_code != 200:
            assert answer.status_code == 409, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert int(answer.headers["retry-after"]) >= 1
    assert listed(http, agent_id) == [executed[0].json()["id"]]


def test_a_request_the_contract_refuses_leaves_its_key_unused(
    http: httpx.Client, agent_id: str
) -> None:
    key, params = idempotency_key(), {"agent_id": agent_id}
    assert (
        http.post("/conversations/", params=params, json={"summary": 5}, headers=key).status_code
        == 422
    )
    assert http.post("/conversations/", params=params, headers=key).status_code == 200
    assert len(listed(http, agent_id)) == 1


@pytest.mark.parametrize("value", ["", "x" * 256, "with space", "naïve", "tab\there"], ids=repr)
def test_a_key_outside_its_bounds_is_a_422_and_creates_nothing(
    http: httpx.Client, agent_id: str, value: str
) -> None:
    answer = http.post(
        "/conversations/",
        params={"agent_id": agent_id},
        headers={b"Idempotency-Key": value.encode()},  # as UTF-8: httpx sends str as ASCII
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["invalid_params"][0]["name"] == "header.Idempotency-Key"
    assert listed(http, agent_id) == []


@pytest.mark.client_only(False)  # mints its key in this thread: traced
def test_a_key_of_visible_ascii_characters_up_to_255_is_accepted(
    server: Served, agent_id: str
) -> None:
    # An organization of its own: the fuzzing tests send short keys as alice, and a key of one
    # character they used for another request would rightly be a 422 here.
    key = mint_key_in_process(server.database_url, f"keys-{uuid.uuid4().hex}", "user")
    unique = uuid.uuid4().hex
    visible = "".join(chr(code) for code in range(0x21, 0x7F))
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(key), timeout=10) as http:
        for value in (visible + unique, unique + "k" * (255 - len(unique)), unique[:1]):
            answer = http.post(
                "/conversations/", params={"agent_id": agent_id},
                headers={"Idempotency-Key": value},
            )  # fmt: skip
            assert answer.status_code == 200, (value, answer.text)


def test_more_than_one_key_is_a_400_and_creates_nothing(
    server: Served, keys: Keys, http: httpx.Client, agent_id: str
) -> None:
    headers = [
        ("Authorization", f"Bearer {keys.alice}"),
        ("Idempotency-Key", "a"),
        ("Idempotency-Key", "a"),
    ]
    answer = httpx.post(
        f"{server.api_url}/conversations/",
        params={"agent_id": agent_id},
        headers=headers,
        verify=TLS,
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert listed(http, agent_id) == []


def test_the_generated_client_sends_the_key(
    client: AuthenticatedClient, http: httpx.Client, agent_id: str
) -> None:
    key = f"client-{uuid.uuid4()}"
    answers = [
        create_conversation.sync_detailed(
            client=client,
            agent_id=agent_id,
            body=ConversationCreate(summary="s"),
            idempotency_key=key,
        )
        for _ in range(2)
    ]
    assert all(isinstance(answer.parsed, Conversation) for answer in answers)
    assert answers[0].content == answers[1].content
    assert answers[1].headers["idempotent-replayed"] == "true"
    assert len(listed(http, agent_id)) == 1


@pytest.fixture(scope="module")
def short_lived_keys(
    engine: str, new_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A server on a database of its own that refuses to store the summary "refused", and
    forgets idempotency keys after 1 s."""
    database_url = new_database(engine)
    refuse_summary(database_url, "refused")
    server = serve_in_thread(
        database_url, tmp_path_factory.mktemp("short-lived") / "server.log", idempotency_key_ttl_s=1
    )
    headers = bearer(mint_key_in_process(database_url))
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=headers, timeout=10) as client:
        yield client
    server.stop()


def test_a_key_is_forgotten_after_its_time_to_live(
    short_lived_keys: httpx.Client, agent_id: str
) -> None:
    http, key, params = short_lived_keys, idempotency_key(), {"agent_id": agent_id}
    first = http.post("/conversations/", params=params, json={"summary": "s"}, headers=key)
    assert_replay_of(
        http.post("/conversations/", params=params, json={"summary": "s"}, headers=key), first
    )
    time.sleep(1.1)
    again = http.post("/conversations/", params=params, json={"summary": "other"}, headers=key)
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    assert sorted(listed(http, agent_id)) == sorted([first.json()["id"], again.json()["id"]])


def test_a_request_that_fails_in_the_database_leaves_its_key_free(
    short_lived_keys: httpx.Client, agent_id: str
) -> None:
    http, key, params = short_lived_keys, idempotency_key(), {"agent_id": agent_id}
    for _ in range(2):  # retried at once: it runs again, not a 409 for a key still held
        failed = http.post(
            "/conversations/", params=params, json={"summary": "refused"}, headers=key
        )
        assert failed.status_code == 500, failed.text
    created = http.post("/conversations/", params=params, json={"summary": "kept"}, headers=key)
    assert created.status_code == 200 and "idempotent-replayed" not in created.headers
    assert listed(http, agent_id) == [created.json()["id"]]
    assert json.loads(created.content)["summary"] == "kept"
