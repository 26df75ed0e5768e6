"""Several servers on one PostgreSQL, each with its own app and connections (in threads of
the test process: what is shared is the database): read-modify-write with If-Match loses
nothing; a list walk may go from one to the other."""

import asyncio
import collections
import itertools
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.support import ServedInThread, create_conversation, fresh_key

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

REPLICAS = 2
CLIENTS = 32
APPENDS_PER_CLIENT = 3


def test_concurrent_appends_through_replicas_lose_no_write(
    postgres_url: str, launch_in_thread: Callable[..., ServedInThread]
) -> None:
    headers = fresh_key(postgres_url)
    replicas = [launch_in_thread(postgres_url) for _ in range(REPLICAS)]
    statuses: collections.Counter[int] = collections.Counter()
    acknowledged: list[str] = []

    async def scenario() -> str:
        clients = [
            httpx.AsyncClient(base_url=replica.api_url, headers=headers, timeout=30)
            for replica in replicas
        ]
        conversation = await create_conversation(clients[0])
        url = f"/conversations/{conversation}"

        async def appender(number: int) -> None:
            client = clients[number % REPLICAS]
            done = 0
            for _attempt in range(500):
                if done == APPENDS_PER_CLIENT:
                    return
                current = await client.get(url)
                statuses[current.status_code] += 1
                token = f"[{number}.{done}]"
                answer = await client.patch(
                    url,
                    json={"summary": current.json()["summary"] + token},
                    headers={"If-Match": current.headers["etag"]},
                )
                statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    acknowledged.append(token)
                    done += 1
            raise AssertionError(f"client {number} never got its appends through")

        await asyncio.gather(*(appender(n) for n in range(CLIENTS)))
        final = (await clients[1].get(url)).json()["summary"]
        for client in clients:
            await client.aclose()
        return str(final)

    final = asyncio.run(scenario())
    assert set(statuses) <= {200, 412}, statuses
    assert statuses[412] > 0, "no write ever conflicted: the test did not test anything"
    assert len(acknowledged) == CLIENTS * APPENDS_PER_CLIENT
    for token in acknowledged:
        assert final.count(token) == 1, token
    assert len(final) == sum(len(token) for token in acknowledged)


def test_a_walk_alternating_between_replicas_follows_each_ones_cursors(
    postgres_url: str, launch_in_thread: Callable[..., ServedInThread]
) -> None:
    """The key that signs list cursors is the database's: a cursor one replica hands out, the
    other accepts."""
    headers = fresh_key(postgres_url)
    replicas = [launch_in_thread(postgres_url) for _ in range(REPLICAS)]
    clients = [httpx.Client(base_url=r.api_url, headers=headers, timeout=30) for r in replicas]
    try:
        agent = {"agent_id": f"agent-{uuid.uuid4()}"}
        made = []
        for day in range(1, 8):
            created = clients[0].post("/conversations/", params=agent).json()["id"]
            at = {"last_message_at": f"2026-01-0{day}T00:00:00.00000{day}Z"}
            assert clients[1].patch(f"/conversations/{created}", json=at).status_code == 200
            made.append(created)
        query = {**agent, "order_by": "last_message_at", "order": "asc", "limit": "2"}
        answer = clients[0].get("/conversations/", params=query)
        walked = [c["id"] for c in answer.json()]
        for turn in itertools.count(1):
            link = answer.headers.get("link")
            if link is None:
                break
            target = link.removeprefix("<").split(">;")[0]  # ?…, relative to the list's path
            answer = clients[turn % REPLICAS].get(f"/conversations/{target}")
            assert answer.status_code == 200, answer.text
            walked += [c["id"] for c in answer.json()]
        assert walked == made
    finally:
        for client in clients:
            client.close()
