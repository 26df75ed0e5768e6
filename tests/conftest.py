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


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m server_impl ARGS --database-url URL`` as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "server_impl", *args, "--database-url", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def mint_key(database_url: str, organization: str, user: str) -> str:
    result = cli(
        "keys", "create", "--organization", organization, "--user", user, database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass(frozen=True)
class Keys:
    """Keys of three users: alice and bob share an organization, carol is in another."""

    alice: str
    bob: str
    carol: str


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    database_url: str

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
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path, database_url)
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
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('data') / 'conversations.db'}"


@pytest.fixture(scope="session")
def keys(database_url: str) -> Keys:
    return Keys(
        alice=mint_key(database_url, "acme", "alice"),
        bob=mint_key(database_url, "acme", "bob"),
        carol=mint_key(database_url, "globex", "carol"),
    )


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, keys: Keys
) -> Iterator[RunningServer]:
    running = start_server(database_url, tmp_path_factory.mktemp("log") / "server.log")
    yield running
    running.stop()
    # Every response was validated against the spec; a mismatch is logged, never hidden.
    log = running.log_path.read_text()
    assert "NonConforming" not in log, log


@pytest.fixture
def agent_id() -> str:
    """A fresh agent per test, so tests never see each other's conversations."""
    return f"agent-{uuid.uuid4()}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def http(server: RunningServer, keys: Keys) -> Iterator[httpx.Client]:
    """Raw HTTP as alice."""
    with httpx.Client(base_url=server.api_url, headers=bearer(keys.alice), timeout=10) as client:
        yield client
