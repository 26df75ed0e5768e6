"""What only SQLite does: another process's lock, a closed connection and a file that cannot be
written are StorageUnavailable."""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.ports import Changes, NewConversation
from server_impl.storage.sqlite import SqliteStore
from server_impl.storage.tuning import Tuning
from tests.support import new_sqlite_database, read_only, run_async

T0 = datetime(2026, 1, 2, tzinfo=UTC)
NEW = NewConversation(
    id="conv-00000000-0000-4000-8000-000000000001",
    organization_id="org-1",
    agent_id="agent-1",
    summary="kept",
    created_at=T0,
    created_by_id="user-1",
)


@pytest.fixture
def path(tmp_path: Path) -> str:
    return new_sqlite_database(tmp_path).removeprefix("sqlite:///")


def test_a_write_that_waits_past_the_busy_timeout_is_unavailable_and_changes_nothing(
    path: str,
) -> None:
    async def scenario() -> None:
        store = SqliteStore(path, Tuning(sqlite_busy_timeout_s=0.02))
        await store.open()
        try:
            await store.insert(NEW)
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageUnavailable) as unavailable:
                await store.update(
                    "org-1", NEW.id, changes=Changes({"summary": "lost"}), updated_at=T0,
                    updated_by_id="user-2",
                )  # fmt: skip
            assert unavailable.value.reason == "database is locked"
            with pytest.raises(StorageUnavailable):
                await store.get_or_insert_default(NEW)
            other.execute("ROLLBACK")
            other.close()
            kept = await store.get("org-1", NEW.id)
            assert kept is not None and kept.conversation.summary == "kept" and kept.version == 1
        finally:
            await store.close()

    run_async(scenario())


def test_a_closed_store_is_unavailable_not_an_internal_error(path: str) -> None:
    async def scenario() -> None:
        store = SqliteStore(path)
        await store.open()
        await store.ping()
        await store.close()
        with pytest.raises(StorageUnavailable):
            await store.ping()
        with pytest.raises(StorageUnavailable):
            await store.get("org-1", NEW.id)

    run_async(scenario())


def test_a_store_on_a_read_only_file_reads_but_is_unavailable_for_writes_and_readiness(
    path: str,
) -> None:
    async def prepare() -> None:
        store = SqliteStore(path)
        await store.open()
        await store.insert(NEW)
        await store.close()

    async def scenario() -> None:
        store = SqliteStore(path)
        await store.open()
        try:
            with pytest.raises(StorageUnavailable) as unavailable:
                await store.ping()
            assert unavailable.value.reason == "attempt to write a readonly database"
            with pytest.raises(StorageUnavailable):
                await store.insert(replace(NEW, id=NEW.id[:-1] + "2"))
            kept = await store.get("org-1", NEW.id)
            assert kept is not None and kept.conversation.summary == "kept"
        finally:
            await store.close()

    run_async(prepare())
    with read_only(Path(path)):
        run_async(scenario())


def test_a_store_in_a_read_only_folder_is_unavailable_from_its_opening(path: str) -> None:
    with read_only(Path(path).parent), pytest.raises(StorageUnavailable):
        run_async(SqliteStore(path).open())


def test_a_database_that_becomes_read_only_is_unavailable_changes_nothing_and_recovers(
    path: str,
) -> None:
    async def scenario() -> None:
        store = SqliteStore(path)
        await store.open()
        try:
            await store.insert(NEW)
            store.db.execute("PRAGMA query_only = ON")  # as a file system remounted read-only
            with pytest.raises(StorageUnavailable):
                await store.update(
                    "org-1", NEW.id, changes=Changes({"summary": "lost"}), updated_at=T0,
                    updated_by_id="user-2",
                )  # fmt: skip
            with pytest.raises(StorageUnavailable):
                await store.get_or_insert_default(replace(NEW, id=NEW.id[:-1] + "3"))
            with pytest.raises(StorageUnavailable):
                await store.ping()
            store.db.execute("PRAGMA query_only = OFF")
            await store.ping()
            kept = await store.get("org-1", NEW.id)
            assert kept is not None and kept.conversation.summary == "kept" and kept.version == 1
        finally:
            await store.close()

    run_async(scenario())


def test_readiness_does_not_wait_for_another_process_writing(path: str) -> None:
    async def scenario() -> None:
        # Were ping to wait for the lock, it would fail after the busy timeout.
        store = SqliteStore(path, Tuning(sqlite_busy_timeout_s=60))
        await store.open()
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            await store.ping()
            other.execute("ROLLBACK")
        finally:
            other.close()
            await store.close()

    run_async(scenario())
