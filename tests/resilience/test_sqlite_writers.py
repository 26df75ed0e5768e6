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
