from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import RunningServer, start_server


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[[str], RunningServer]]:
    """Starts server processes for one test, and stops whatever is left at its end."""
    started: list[RunningServer] = []

    def start(database_url: str) -> RunningServer:
        server = start_server(database_url, tmp_path / f"server-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()
