"""What only SQLite does: another process's lock and a closed connection are StorageUnavailable."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.ports import Changes, NewConversation
from server_impl.storage.sqlite import SqliteStore
from tests.support import new_sqlite_database, run_async

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
        store = SqliteStore(path, busy_timeout_ms=20)
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
