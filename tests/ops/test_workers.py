"""`serve --workers N`: several processes share the port, each a complete server."""

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import gunicorn.config
import gunicorn.glogging
import httpx
import pytest

from server_impl.ops.protocol import LimitedHttpToolsProtocol
from server_impl.ops.workers import UPSTREAM, ServerWorker
from testbed.upstream import changed, overridden
from tests.support import bearer, children, cli_process, migrate, mint_key, start_server

LISTEN, ESTABLISHED = "0A", "01"


def server_sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets bound to this local port, in this state."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def owners(inodes: set[str], pids: list[int]) -> dict[str, int]:
    """Which of these processes holds each socket."""
    found = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().name
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                found[target[8:-1]] = pid
    return found


def test_two_workers_serve_the_same_api(
    tmp_path: Path, engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)
    key = mint_key(url, "acme", "alice")
    server = start_server(url, tmp_path / "server.log", CONVERSATIONS_WORKERS="2")
    try:
        assert len(children(server.process.pid)) == 2
        with httpx.Client(base_url=server.api_url, headers=bearer(key)) as client:
            agent = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
            ids = [client.post("/conversations/", params={"agent_id": agent}).json()["id"]
                   for _ in range(20)]  # fmt: skip
            for conversation_id in ids:
                assert client.get(f"/conversations/{conversation_id}").status_code == 200
    finally:
        server.stop()


def test_connections_opened_at_once_are_spread_over_the_workers(
    tmp_path: Path, new_database: Callable[[str], str]
) -> None:
    # Each worker listens on a socket of its own in one SO_REUSEPORT group, which the kernel
    # balances. With one shared socket, a worker busy in its event loop can take a whole burst
    # (seen under wrk: all 16 connections on one worker), which an idle server does not show,
    # so the listeners are checked as well. All 16 on one of 2 workers by chance: p = 2**-15.
    server = start_server(new_database("sqlite"), tmp_path / "s.log", CONVERSATIONS_WORKERS="2")
    port = urlsplit(server.base_url).port
    assert port is not None
    connections: list[socket.socket] = []
    try:
        workers = children(server.process.pid)
        deadline = time.monotonic() + 20
        while len(server_sockets(port, LISTEN)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(owners(server_sockets(port, LISTEN), workers)) == 2

        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        for connection in connections:  # kept open, as a client pool keeps them
            connection.sendall(b"GET /v1/health HTTP/1.1\r\nHost: test\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 200 ")
        serving = owners(server_sockets(port, ESTABLISHED), workers)
        assert len(serving) == 16
        assert set(serving.values()) == set(workers)
    finally:
        for connection in connections:
            connection.close()
        server.stop()


def test_several_workers_refuse_port_zero(tmp_path: Path) -> None:
    # A process of its own: the exit status of `python -m server_impl` is what is tested.
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrate(database)
    result = cli_process("serve", "--workers", "2", "--port", "0", database_url=database)
    assert result.returncode == 2
    assert "fixed --port" in result.stderr


def test_each_worker_serves_with_the_protocol_limits_and_options_of_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Through uvicorn-worker's CONFIG_KWARGS, which its __init__ reads (workers.UPSTREAM).
    monkeypatch.setenv("CONVERSATIONS_MAX_HEAD_BYTES", "12345")
    monkeypatch.setenv("CONVERSATIONS_KEEP_ALIVE_S", "7")
    cfg = gunicorn.config.Config()
    worker = ServerWorker(0, os.getpid(), [], None, 30, cfg, gunicorn.glogging.Logger(cfg))
    config = worker.config
    assert issubclass(config.http, LimitedHttpToolsProtocol)
    assert config.http.limits.max_head_bytes == 12345
    assert config.timeout_keep_alive == 7
    assert (config.loop, config.access_log, config.proxy_headers) == ("uvloop", False, False)


def test_the_uvicorn_worker_init_that_reads_config_kwargs_is_as_it_was_checked() -> None:
    assert changed(UPSTREAM) == []
    assert overridden([ServerWorker], "server_impl") <= set(UPSTREAM)
