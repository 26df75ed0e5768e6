"""SqliteStore on its own: tenancy, soft deletion, merge-patch updates, defaults, cursors."""

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server_impl.storage import CursorNotFound, NewConversation, Page
from server_impl.storage.sqlite import SqliteStore, sqlite_path

ORG = "org-00000000-0000-4000-8000-00000000000a"
OTHER_ORG = "org-00000000-0000-4000-8000-00000000000b"
AGENT = "agent-00000000-0000-4000-8000-000000000001"
USER = "user-00000000-0000-4000-8000-000000000001"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "nested" / "db.sqlite"))
    yield store
    asyncio.run(store.close())


def new(number: int, *, org: str = ORG, summary: str | None = None) -> NewConversation:
    return NewConversation(
        id=f"conv-00000000-0000-4000-8000-{number:012d}",
        organization_id=org,
        agent_id=AGENT,
        summary=summary,
        created_at=T0 + timedelta(seconds=number),
        created_by_id=USER,
    )


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_insert_then_get_round_trips_every_field(store: SqliteStore) -> None:
    inserted = run(store.insert(new(1, summary="s")))
    got = run(store.get(ORG, inserted.id))
    assert got == inserted
    assert got.created_at == got.updated_at == T0 + timedelta(seconds=1)
    assert got.summary == "s" and got.in_context_message_ids == []


def test_another_organization_sees_nothing(store: SqliteStore) -> None:
    inserted = run(store.insert(new(1)))
    assert run(store.get(OTHER_ORG, inserted.id)) is None
    assert (
        run(
            store.update(
                OTHER_ORG,
                inserted.id,
                summary="x",
                set_summary=True,
                updated_at=T0,
                updated_by_id=USER,
            )
        )
        is None
    )
    assert run(store.soft_delete(OTHER_ORG, inserted.id, T0)) is None
    assert run(store.list_page(Page(organization_id=OTHER_ORG, limit=10, order="desc"))) == []
    with pytest.raises(CursorNotFound):
        run(
            store.list_page(
                Page(organization_id=OTHER_ORG, limit=9, order="asc", after=inserted.id)
            )
        )
    assert run(store.get(ORG, inserted.id)) == inserted


def test_update_sets_clears_or_keeps_the_summary(store: SqliteStore) -> None:
    inserted = run(store.insert(new(1, summary="a")))
    later = T0 + timedelta(days=1)

    def update(summary: str | None, set_summary: bool) -> str | None:
        updated = run(
            store.update(
                ORG,
                inserted.id,
                summary=summary,
                set_summary=set_summary,
                updated_at=later,
                updated_by_id="user-x",
            )
        )
        assert updated is not None and updated.updated_at == later
        assert updated.last_updated_by_id == "user-x" and updated.created_by_id == USER
        return updated.summary

    assert update(None, False) == "a"
    assert update("b", True) == "b"
    assert update(None, True) is None


def test_soft_delete_hides_the_row_but_keeps_it_as_a_cursor(store: SqliteStore) -> None:
    for number in range(1, 4):
        run(store.insert(new(number)))
    middle = new(2).id
    assert run(store.soft_delete(ORG, middle, T0)) is not None
    assert run(store.get(ORG, middle)) is None
    assert run(store.soft_delete(ORG, middle, T0)) is None
    page = Page(organization_id=ORG, limit=10, order="desc", after=middle)
    after_middle = run(store.list_page(page))
    assert [c.id for c in after_middle] == [new(1).id]
    # The row is still on disk.
    assert store._db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 3


def test_only_one_live_default_per_agent_and_organization(store: SqliteStore) -> None:
    first = run(store.get_or_insert_default(new(1)))
    again = run(store.get_or_insert_default(new(2)))
    assert again.id == first.id == new(1).id
    other_org = run(store.get_or_insert_default(new(3, org=OTHER_ORG)))
    assert other_org.id != first.id
    run(store.soft_delete(ORG, first.id, T0))
    assert run(store.get_default(ORG, AGENT)) is None
    assert run(store.get_or_insert_default(new(4))).id == new(4).id


def test_summary_search_escapes_like_wildcards(store: SqliteStore) -> None:
    run(store.insert(new(1, summary="50% off")))
    run(store.insert(new(2, summary="500 off")))
    run(store.insert(new(3, summary=r"back\slash")))

    def search(text: str) -> list[str]:
        page = Page(organization_id=ORG, limit=10, order="asc", summary_search=text)
        return [c.id for c in run(store.list_page(page))]

    assert search("0%") == [new(1).id]
    assert search("_") == []
    assert search("\\") == [new(3).id]
    assert search("OFF") == [new(1).id, new(2).id]


def test_the_database_file_survives_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    store = SqliteStore(path)
    inserted = run(store.insert(new(1, summary="durable")))
    run(store.close())
    reopened = SqliteStore(path)
    assert run(reopened.get(ORG, inserted.id)) == inserted
    run(reopened.close())


def test_ids_are_unique(store: SqliteStore) -> None:
    run(store.insert(new(1)))
    with pytest.raises(sqlite3.IntegrityError):
        run(store.insert(new(1)))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/x.db", "var/x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_name_a_file(url: str, path: str) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["postgresql://x/y", "sqlite:///", "var/x.db"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        sqlite_path(url)
