"""kill -9 in the middle of a stream of updates: every update answered 200 survives a restart."""

import asyncio
import os
import signal
from collections.abc import Callable

import httpx

from tests.support import RunningServer, ServedInThread, create_conversation, fresh_key

CONVERSATIONS = 400
WRITERS = 8


def test_acknowledged_updates_survive_sigkill(
    engine: str,
    new_database: Callable[[str], str],
    launch: Callable[..., RunningServer],
    launch_in_thread: Callable[..., ServedInThread],
) -> None:
    database_url = new_database(engine)
    headers = fresh_key(database_url)
    server = launch(database_url)
    acknowledged: set[str] = set()

    async def stream() -> list[str]:
        async with httpx.AsyncClient(base_url=server.api_url, headers=headers) as client:
            ids = [await create_conversation(client, "before") for _ in range(CONVERSATIONS)]
            queue = list(ids)

            async def writer() -> None:
                while queue:
                    conversation = queue.pop()
                    try:
                        answer = await client.patch(
                            f"/conversations/{conversation}", json={"summary": "after"}
                        )
                    except httpx.TransportError:
                        return  # the server is gone
                    if answer.status_code == 200:
                        acknowledged.add(conversation)

            async def killer() -> None:
                while len(acknowledged) < CONVERSATIONS // 4:
                    await asyncio.sleep(0.001)
                os.kill(server.process.pid, signal.SIGKILL)

            await asyncio.gather(killer(), *(writer() for _ in range(WRITERS)))
            return ids

    ids = asyncio.run(stream())
    server.process.wait()
    assert 0 < len(acknowledged) < CONVERSATIONS, "the kill did not land mid-stream"

    restarted = launch_in_thread(database_url)  # what was kept is the database's, not a process's
    with httpx.Client(base_url=restarted.api_url, headers=headers) as client:
        summaries = {cid: client.get(f"/conversations/{cid}").json()["summary"] for cid in ids}
    lost = [cid for cid in acknowledged if summaries[cid] != "after"]
    assert lost == [], f"{len(lost)} acknowledged updates were lost"
    assert set(summaries.values()) <= {"before", "after"}
