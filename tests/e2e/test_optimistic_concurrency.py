"""ETag and If-Match: change a conversation only while nobody else has (RFC 9110)."""

import asyncio
import time
from datetime import datetime

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import update_conversation
from letta_conversations_client.models import Conversation, ConversationUpdate, Problem

from tests.support import TLS, Keys, Served, bearer, run_async

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

RACING_UPDATES = 50
RACES = 4
RACE_SECONDS = 3.0


def etag_of(response: httpx.Response) -> str:
    tag = response.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"'), tag
    return tag


def test_every_conversation_answer_carries_a_strong_etag(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    params = {"agent_id": agent_id}
    answers = [
        created,
        http.get(url),
        http.patch(url, json={"summary": "x"}),
        http.get("/conversations/default", params=params),
        http.patch("/conversations/default", params=params, json={}),
        http.delete(url),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert not etag_of(answer).startswith("W/")


def test_the_etag_changes_with_every_change_and_only_then(
    http: httpx.Client, agent_id: str
) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    seen = [etag_of(created)]
    assert etag_of(http.get(url)) == seen[-1]
    for body in ({"summary": "a"}, {"summary": "a"}, {}):
        seen.append(etag_of(http.patch(url, json=body)))
        assert etag_of(http.get(url)) == seen[-1]
    assert len(set(seen)) == len(seen)


def test_a_matching_if_match_lets_the_update_through(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    tag = etag_of(created)
    for make_header in (lambda t: t, lambda t: f'"999", {t}', lambda t: "*"):
        header = make_header(tag)
        answer = http.patch(url, json={"summary": header}, headers={"If-Match": header})
        assert answer.status_code == 200, (header, answer.text)
        tag = etag_of(answer)


def test_a_stale_if_match_is_a_412_and_changes_nothing(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id}, json={"summary": "v1"})
    url = f"/conversations/{created.json()['id']}"
    stale = etag_of(created)
    current = http.patch(url, json={"summary": "v2"})
    for header in (stale, f"W/{etag_of(current)}", '"not-ours"', "garbage"):
        for answer in (
            http.patch(url, json={"summary": "lost"}, headers={"If-Match": header}),
            http.delete(url, headers={"If-Match": header}),
        ):
            assert answer.status_code == 412, (header, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    after = http.get(url)
    assert after.json() == current.json() and etag_of(after) == etag_of(current)


def test_the_default_alias_honours_if_match(http: httpx.Client, agent_id: str) -> None:
    params = {"agent_id": agent_id}
    first = http.get("/conversations/default", params=params)
    stale = http.patch(
        "/conversations/default", params=params, json={}, headers={"If-Match": '"999"'}
    )
    assert stale.status_code == 412
    fresh = http.patch(
        "/conversations/default", params=params, json={}, headers={"If-Match": etag_of(first)}
    )
    assert fresh.status_code == 200


def test_the_generated_client_sends_if_match(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    stale = update_conversation.sync_detailed(
        conversation.id, client=client, body=ConversationUpdate(summary="x"), if_match='"999"'
    )
    assert stale.status_code == 412 and isinstance(stale.parsed, Problem)
    current = update_conversation.sync_detailed(
        conversation.id, client=client, body=ConversationUpdate()
    )
    fresh = update_conversation.sync_detailed(
        conversation.id,
        client=client,
        body=ConversationUpdate(summary="y"),
        if_match=current.headers["etag"],
    )
    assert fresh.status_code == 200
    assert isinstance(fresh.parsed, Conversation) and fresh.parsed.summary == "y"


def test_a_conditional_update_never_creates_the_default(http: httpx.Client, agent_id: str) -> None:
    params = {"agent_id": agent_id}
    answer = http.patch(
        "/conversations/default", params=params, json={"summary": "x"}, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 412
    assert http.get("/conversations/", params=params).json() == []


def test_if_match_star_on_a_default_not_made_yet_is_a_412_and_makes_none(
    http: httpx.Client, agent_id: str
) -> None:
    # `*` matches a current version and there is none (RFC 9110, 13.1.1); it was read as no
    # If-Match, and the update made the default.
    params, star = {"agent_id": agent_id}, {"If-Match": "*"}
    answer = http.patch(
        "/conversations/default", params=params, json={"summary": "x"}, headers=star
    )
    assert answer.status_code == 412, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert http.get("/conversations/", params=params).json() == []
    # Without a default, DELETE answers 404 with or without If-Match, as documented.
    assert http.delete("/conversations/default", params=params, headers=star).status_code == 404


def test_if_match_star_lets_writes_of_the_existing_default_through_at_any_version(
    http: httpx.Client, agent_id: str
) -> None:
    params, star = {"agent_id": agent_id}, {"If-Match": "*"}
    first = http.get("/conversations/default", params=params).json()
    http.patch("/conversations/default", params=params, json={"summary": "v2"})
    updated = http.patch(
        "/conversations/default", params=params, json={"summary": "v3"}, headers=star
    )
    assert updated.status_code == 200 and updated.json()["summary"] == "v3"
    assert etag_of(updated) == '"3"'
    deleted = http.delete("/conversations/default", params=params, headers=star)
    assert deleted.status_code == 200 and deleted.json()["id"] == first["id"]


def test_deleting_the_default_honours_if_match(http: httpx.Client, agent_id: str) -> None:
    params = {"agent_id": agent_id}
    first = http.get("/conversations/default", params=params)
    stale = http.delete("/conversations/default", params=params, headers={"If-Match": '"999"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    kept = http.get("/conversations/default", params=params)
    assert kept.json()["id"] == first.json()["id"], "a failed conditional delete deleted"
    deleted = http.delete(
        "/conversations/default", params=params, headers={"If-Match": etag_of(first)}
    )
    assert deleted.status_code == 200 and deleted.json()["id"] == first.json()["id"]
    assert http.get(f"/conversations/{first.json()['id']}").status_code == 404


def test_as_versions_rise_updated_at_never_falls_under_concurrent_updates(
    server: Served, keys: Keys, agent_id: str
) -> None:
    # Each writer reads the clock before it holds the row: on PostgreSQL a later version was
    # stamped with an earlier time (6 of 245 pairs, by up to 0.8 ms).
    async def race(client: httpx.AsyncClient) -> list[tuple[int, datetime]]:
        created = await client.post("/conversations/", params={"agent_id": agent_id})
        url = f"/conversations/{created.json()['id']}"
        answers = await asyncio.gather(*(client.patch(url) for _ in range(RACING_UPDATES)))
        assert {answer.status_code for answer in answers} == {200}
        return sorted(
            (int(etag_of(answer).strip('"')), datetime.fromisoformat(answer.json()["updated_at"]))
            for answer in answers
        )

    async def races() -> list[list[tuple[int, datetime]]]:
        limits = httpx.Limits(max_connections=RACING_UPDATES)
        async with httpx.AsyncClient(
            verify=TLS,
            base_url=server.api_url,
            headers=bearer(keys.alice),
            timeout=30,
            limits=limits,
        ) as client:
            return [await race(client) for _ in range(RACES)]

    for stamps in run_async(races()):
        assert [version for version, _ in stamps] == list(range(2, RACING_UPDATES + 2))
        fallen = [(a, b) for a, b in zip(stamps, stamps[1:], strict=False) if b[1] < a[1]]
        assert fallen == []


def test_a_conditional_update_of_the_default_racing_its_delete_is_200_or_412_never_404(
    server: Served, keys: Keys, agent_id: str
) -> None:
    # The update found the default, then updated it by id: a DELETE committed in between made
    # it answer 404, a status this operation never answers.
    url, params = "/conversations/default", {"agent_id": agent_id}

    async def race(client: httpx.AsyncClient) -> tuple[int, int]:
        current = await client.get(url, params=params)
        headers = {"If-Match": etag_of(current)}
        update, delete = await asyncio.gather(
            client.patch(url, params=params, json={"summary": "raced"}, headers=headers),
            client.delete(url, params=params),
        )
        return update.status_code, delete.status_code

    async def races() -> list[tuple[int, int]]:
        outcomes = []
        deadline = time.monotonic() + RACE_SECONDS
        async with httpx.AsyncClient(
            verify=TLS, base_url=server.api_url, headers=bearer(keys.alice), timeout=10
        ) as client:
            while time.monotonic() < deadline:
                outcomes.append(await race(client))
        return outcomes

    outcomes = run_async(races())
    assert {update for update, _ in outcomes} <= {200, 412}, outcomes
    assert {delete for _, delete in outcomes} == {200}
