from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import RunningServer, ServedInThread, serve_in_thread, start_server


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


@pytest.fixture
def launch_in_thread(tmp_path: Path) -> Iterator[Callable[[str], ServedInThread]]:
    """Starts servers in threads of this process for one test (replicas whose process is not
    what is tested), and stops them at its end."""
    started: list[ServedInThread] = []

    def start(database_url: str) -> ServedInThread:
        server = serve_in_thread(database_url, tmp_path / f"in-thread-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
