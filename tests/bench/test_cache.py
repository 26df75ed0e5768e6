"""`make bench --big` builds each big database once per engine, size and migration revision into
its cache, and every user of it gets a copy of its own; a cache of another revision is built
again. Small databases here: the mechanism is the same at 10^6."""

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from bench import cache, run
from server_impl.storage import migrate
from tests.support import ENGINES, PostgresCluster

ROWS = 5


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The URLs that run.prepare built, with the cache in tmp_path."""
    monkeypatch.setattr(cache, "CACHE", tmp_path / "cache")
    urls: list[str] = []
    prepare = run.prepare

    def counted(url: str, rows: int) -> run.Database:
        urls.append(url)
        return prepare(url, rows)

    monkeypatch.setattr(run, "prepare", counted)
    return urls


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")
    # A cluster of its own: drop_copies drops every copy in it.
    made = PostgresCluster()
    try:
        yield made
    finally:
        made.destroy()


def count_sqlite(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return int(db.execute("SELECT count(*) FROM conversations").fetchone()[0])


def empty_sqlite(url: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("DELETE FROM conversations")


async def _postgres(url: str, statement: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(statement) or 0)
    finally:
        await connection.close()


def count_postgres(url: str) -> int:
    return asyncio.run(_postgres(url, "SELECT count(*) FROM conversations"))


def empty_postgres(url: str) -> None:
    asyncio.run(_postgres(url, "DELETE FROM conversations"))


def check_built_once_and_copied(
    copy: Callable[[str], run.Database],
    built: list[str],
    count: Callable[[str], int],
    empty: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = copy("first"), copy("second")
    assert len(built) == 1
    assert (first.key, first.conversation_id, first.deep_cursor) == (
        second.key,
        second.conversation_id,
        second.deep_cursor,
    )
    assert first.url != second.url and built[0] not in (first.url, second.url)
    empty(first.url)  # what one user writes reaches neither the cache nor another copy
    assert (count(first.url), count(second.url), count(copy("third").url)) == (0, ROWS, ROWS)
    assert len(built) == 1
    monkeypatch.setattr(cache, "revision", lambda _checkout: "another")
    assert count(copy("fourth").url) == ROWS
    assert len(built) == 2, "a cache of another revision is built again"


def test_a_sqlite_database_is_built_once_per_revision_and_copied_for_each_use(
    built: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def copy(name: str) -> run.Database:
        return cache.sqlite_copy(ROWS, tmp_path / f"{name}.db")

    check_built_once_and_copied(copy, built, count_sqlite, empty_sqlite, monkeypatch)
    # Each database whole in its file, beside what it holds; no build left half way.
    kept = sorted(path.name for path in cache.CACHE.iterdir())
    revisions = (migrate.head_revision(), "another")
    assert kept == sorted(f"run-{ROWS}-{r}.{kind}" for r in revisions for kind in ("db", "json"))


def test_a_postgresql_database_is_built_once_per_revision_and_copied_for_each_use(
    built: list[str], cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    def copy(_name: str) -> run.Database:
        return cache.postgresql_copy(ROWS, cluster)

    check_built_once_and_copied(copy, built, count_postgres, empty_postgres, monkeypatch)
    cache.drop_copies(cluster)
    names = "SELECT count(*) FROM pg_database WHERE datname LIKE 't\\_%' OR datname LIKE 'run\\_%'"
    # The two templates stay, for the next run; no copy does.
    assert asyncio.run(_postgres(cluster.url(), names)) == 2
