"""Fixtures shared by every kind of test.

Tests that use a database run once per engine: SQLite and PostgreSQL (a throwaway cluster
started for the session). CONVERSATIONS_TEST_ENGINES=sqlite limits a quick local run to SQLite.
"""

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support import (
    ENGINES,
    Keys,
    PostgresCluster,
    RunningServer,
    bearer,
    migrate,
    mint_key,
    start_server,
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture
def postgres_url(new_database: Callable[[str], str]) -> str:
    """A fresh PostgreSQL database, for tests that only make sense there (replicas, outages)."""
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")
    return new_database("postgresql")


@pytest.fixture(scope="session")
def new_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """Makes an empty, migrated database of an engine; returns its URL."""

    def make(engine: str) -> str:
        if engine == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('data') / 'conversations.db'}"
        else:
            url = request.getfixturevalue("postgres").new_database()
        migrate(url)
        return url

    return make


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(engine: str, new_database: Callable[[str], str]) -> str:
    return new_database(engine)


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
    assert "Traceback" not in log, log


@pytest.fixture
def agent_id() -> str:
    """A fresh agent per test, so tests never see each other's conversations."""
    return f"agent-{uuid.uuid4()}"


@pytest.fixture
def http(server: RunningServer, keys: Keys) -> Iterator[httpx.Client]:
    """Raw HTTP as alice."""
    with httpx.Client(base_url=server.api_url, headers=bearer(keys.alice), timeout=10) as client:
        yield client
