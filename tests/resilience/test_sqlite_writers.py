"""SQLite under concurrent writers: no "database is locked", from one process or two."""

import asyncio
import collections
from collections.abc import Callable

import httpx

from tests.support import RunningServer, create_conversation, fresh_key

WRITERS = 32
WRITES_EACH = 10


def test_concurrent_patches_on_one_conversation_all_succeed(
    new_database: Callable[[str], str], launch: Callable[..., RunningServer]
) -> None:
    database_url = new_database("sqlite")
    headers = fresh_key(database_url)
    servers = [launch(database_url), launch(database_url)]  # two processes, one file
    statuses: collections.Counter[int] = collections.Counter()

    async def hammer() -> str:
        clients = [
            httpx.AsyncClient(base_url=server.api_url, headers=headers, timeout=30)
            for server in servers
        ]
        conversation = await create_conversation(clients[0])

        async def writer(number: int) -> None:
            client = clients[number % len(clients)]
            for write in range(WRITES_EACH):
                answer = await client.patch(
                    f"/conversations/{conversation}", json={"summary": f"{number}.{write}"}
                )
                statuses[answer.status_code] += 1

        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        final = await clients[0].get(f"/conversations/{conversation}")
        for client in clients:
            await client.aclose()
        return str(final.headers["etag"])

    final_etag = asyncio.run(hammer())
    assert statuses == {200: WRITERS * WRITES_EACH}
    assert final_etag == f'"{WRITERS * WRITES_EACH + 1}"'  # every write bumped the version once
    for server in servers:
        assert "locked" not in server.log_path.read_text()


KEYS = 20
SENDS_PER_KEY = 4


def test_creates_retried_at_once_through_two_processes_run_once_per_key(
    new_database: Callable[[str], str], launch: Callable[..., RunningServer]
) -> None:
    database_url = new_database("sqlite")
    headers = fresh_key(database_url)
    servers = [launch(database_url), launch(database_url)]  # two processes, one file
    agent = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

    async def race() -> tuple[list[tuple[int, httpx.Response]], int]:
        clients = [
            httpx.AsyncClient(base_url=server.api_url, headers=headers, timeout=30)
            for server in servers
        ]

        async def send(key: int, number: int) -> tuple[int, httpx.Response]:
            answer = await clients[number % len(clients)].post(
                "/conversations/",
                params={"agent_id": agent},
                json={"summary": f"key {key}"},
                headers={"Idempotency-Key": f"key-{key}"},
            )
            return key, answer

        answers = await asyncio.gather(
            *(send(key, number) for key in range(KEYS) for number in range(SENDS_PER_KEY))
        )
        page = await clients[0].get("/conversations/", params={"agent_id": agent, "limit": 100})
        for client in clients:
            await client.aclose()
        return list(answers), len(page.json())

    answers, stored = asyncio.run(race())
    assert stored == KEYS
    executed = collections.Counter(
        key
        for key, answer in answers
        if answer.status_code == 200 and "idempotent-replayed" not in answer.headers
    )
    assert executed == {key: 1 for key in range(KEYS)}
    assert {answer.status_code for _, answer in answers} <= {200, 409}
    for server in servers:
        assert "locked" not in server.log_path.read_text()
