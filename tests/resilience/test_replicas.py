"""Several server processes on one PostgreSQL: read-modify-write with If-Match loses nothing."""

import asyncio
import collections
from collections.abc import Callable

import httpx

from tests.support import RunningServer, create_conversation, fresh_key

REPLICAS = 2
CLIENTS = 32
APPENDS_PER_CLIENT = 3


def test_concurrent_appends_through_replicas_lose_no_write(
    postgres_url: str, launch: Callable[..., RunningServer]
) -> None:
    headers = fresh_key(postgres_url)
    replicas = [launch(postgres_url) for _ in range(REPLICAS)]
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
