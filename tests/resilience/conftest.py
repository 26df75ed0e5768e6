from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import RunningServer, start_server


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
