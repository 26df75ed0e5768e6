"""Fixtures shared by every kind of test.

Tests that use a database run once per engine: SQLite and PostgreSQL (a throwaway cluster
started for the run, shared by the pytest-xdist workers). CONVERSATIONS_TEST_ENGINES=sqlite
limits a quick local run to SQLite. A new database is a copy of one migrated once per run.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import (
    ENGINES,
    POSTGRES_TEMPLATE,
    RUN_FOLDER,
    TLS,
    Keys,
    PostgresCluster,
    ServedInThread,
    bearer,
    copy_postgres_database,
    mint_key,
    new_sqlite_database,
    serve_in_thread,
    shared_postgres,
)

# pytester: tests/api/test_module_apps.py reads the plan of other modules' fixtures;
# tests.client_only: the client_only marker, which pauses coverage in a client's thread.
pytest_plugins = ["pytester", "tests.client_only"]


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or a run without workers) makes the folder the workers share: they
    # inherit its name with the environment.
    if not hasattr(config, "workerinput"):
        os.environ[RUN_FOLDER] = tempfile.mkdtemp(prefix="conversations-tests-")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules marked `long` first: pytest-xdist hands modules out in this order (the
    Makefile turns off its reordering by number of tests), and a long module handed out last
    left the other worker idle for its length (31 s of a 330 s run)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or RUN_FOLDER not in os.environ:
        return
    folder = Path(os.environ.pop(RUN_FOLDER))
    try:
        cluster = shared_postgres(folder, start=False)
        if cluster is not None:
            cluster.destroy()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    """The run's cluster, started by the first worker that needs it and stopped at the end."""
    cluster = shared_postgres(Path(os.environ[RUN_FOLDER]))
    assert cluster is not None
    return cluster


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
            return new_sqlite_database(tmp_path_factory.mktemp("data"))
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return copy_postgres_database(cluster, POSTGRES_TEMPLATE)

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
) -> Iterator[ServedInThread]:
    """The engine's server, in a thread of this process: what its tests see is the HTTP answer,
    not the process (tests/ops and tests/resilience start processes)."""
    running = serve_in_thread(database_url, tmp_path_factory.mktemp("log") / "server.log")
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
def http(server: ServedInThread, keys: Keys) -> Iterator[httpx.Client]:
    """Raw HTTP as alice."""
    with httpx.Client(
        verify=TLS, base_url=server.api_url, headers=bearer(keys.alice), timeout=10
    ) as client:
        yield client
