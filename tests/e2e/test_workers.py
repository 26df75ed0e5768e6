"""`serve --workers N`: several processes share the port, each a complete server."""

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support import bearer, mint_key, start_server


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def test_two_workers_serve_the_same_api(
    tmp_path: Path, engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)
    key = mint_key(url, "acme", "alice")
    server = start_server(url, tmp_path / "server.log", CONVERSATIONS_WORKERS="2")
    try:
        assert len(workers_of(server.process.pid)) == 2
        with httpx.Client(base_url=server.api_url, headers=bearer(key)) as client:
            agent = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
            ids = [client.post("/conversations/", params={"agent_id": agent}).json()["id"]
                   for _ in range(20)]  # fmt: skip
            for conversation_id in ids:
                assert client.get(f"/conversations/{conversation_id}").status_code == 200
    finally:
        server.stop()
