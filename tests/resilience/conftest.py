from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from tests.support import RunningServer, ServedInThread, serve_in_thread, start_server


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Starts server processes for one test (settings as CONVERSATIONS_* variables), and stops
    whatever is left at its end."""
    started: list[RunningServer] = []

    def start(database_url: str, **env: str) -> RunningServer:
        log = tmp_path / f"server-{len(started)}.log"
        # Variables only, none of start_server's own options.
        server = start_server(database_url, log, **cast(dict[str, Any], env))
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture
def launch_in_thread(tmp_path: Path) -> Iterator[Callable[..., ServedInThread]]:
    """Starts servers in threads of this process for one test (replicas whose process is not
    what is tested; settings as Settings' fields), and stops them at its end."""
    started: list[ServedInThread] = []

    def start(database_url: str, **settings: Any) -> ServedInThread:
        server = serve_in_thread(
            database_url, tmp_path / f"in-thread-{len(started)}.log", **settings
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
