"""Fixtures shared by every kind of test: a real server process on a free port."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(database_url: str, log_path: Path, **env: str) -> RunningServer:
    port = free_port()
    environment = {
        **os.environ,
        "CONVERSATIONS_VALIDATE_RESPONSES": "true",
        "CONVERSATIONS_LOG_LEVEL": "warning",
        **env,
    }
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server_impl",
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            httpx.get(f"{server.api_url}/openapi.json", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("server")
    running = start_server(f"sqlite:///{folder / 'conversations.db'}", folder / "server.log")
    yield running
    running.stop()
    # Every response was validated against the spec; a mismatch is logged, never hidden.
    log = running.log_path.read_text()
    assert "NonConforming" not in log, log


@pytest.fixture
def agent_id() -> str:
    """A fresh agent per test, so tests never see each other's conversations."""
    return f"agent-{uuid.uuid4()}"


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api_url, timeout=10) as client:
        yield client
