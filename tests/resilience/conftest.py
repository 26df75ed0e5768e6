from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import RunningServer, bearer, mint_key, start_server

AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Starts server processes for one test, and stops whatever is left at its end."""
    started: list[RunningServer] = []

    def start(database_url: str, **env: str) -> RunningServer:
        log = tmp_path / f"server-{len(started)}.log"
        server = start_server(database_url, log, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()


def fresh_key(database_url: str) -> dict[str, str]:
    return bearer(mint_key(database_url, "acme", "alice"))


async def create_conversation(client: httpx.AsyncClient, summary: str = "") -> str:
    created = await client.post(
        "/conversations/", params={"agent_id": AGENT}, json={"summary": summary}
    )
    assert created.status_code == 200, created.text
    return str(created.json()["id"])
