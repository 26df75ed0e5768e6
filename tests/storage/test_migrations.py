"""The Alembic migrations, on both engines."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.ports import Page
from server_impl.storage import conversation_pages, migrate, store_for
from server_impl.storage.conversation_rows import json_text
from server_impl.storage.urls import DatabaseUrl
from tests.support import run_async

INSERT_0001 = sa.text(
    "INSERT INTO conversations (id, organization_id, agent_id, summary, created_at,"
    " created_by_id, updated_at, last_updated_by_id)"
    " VALUES ('conv-1', 'org-1', 'agent-1', 'kept', :now, 'user-1', :now, 'user-1')"
)


@pytest.fixture
def empty_database(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "postgresql":
        return str(request.getfixturevalue("postgres").new_database())
    return f"sqlite:///{tmp_path / 'migrations.db'}"


def execute(
    database_url: str, statement: sa.TextClause, **params: object
) -> list[sa.Row[tuple[object, ...]]]:
    """Runs statement with params and :now; times are bound as each engine's store binds them."""
    params = {"now": datetime.now(UTC), **params}
    url = DatabaseUrl.parse(database_url).sqlalchemy_url
    if url.startswith("postgresql"):
        from sqlalchemy.ext.asyncio import create_async_engine

        async def run() -> list[sa.Row[tuple[object, ...]]]:
            engine = create_async_engine(url)
            async with engine.begin() as connection:
                result = await connection.execute(statement, params)
                rows = list(result) if result.returns_rows else []
            await engine.dispose()
            return rows

        return run_async(run())
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        as_text = {
            name: value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value
            for name, value in params.items()
        }
        result = connection.execute(statement, as_text)
        rows = list(result) if result.returns_rows else []
    engine.dispose()
    return rows


def test_an_empty_database_migrates_to_head_and_again_is_a_no_op(empty_database: str) -> None:
    assert migrate.current_revision(empty_database) is None
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    migrate.require_current(empty_database, command_name="python -m server_impl")


def test_an_out_of_date_database_is_refused_with_the_command_to_run(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    with pytest.raises(migrate.SchemaOutOfDate, match="python -m server_impl migrate"):
        migrate.require_current(empty_database, command_name="python -m server_impl")


def test_a_database_of_a_newer_release_is_refused_naming_both_revisions_and_left_as_it_was(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database)
    execute(empty_database, sa.text("UPDATE alembic_version SET version_num = '0099'"))
    newer = f"at revision 0099, and this release knows revisions up to {migrate.head_revision()}"
    with pytest.raises(migrate.SchemaNewer, match=newer):
        migrate.require_current(empty_database, command_name="python -m server_impl")
    with pytest.raises(migrate.SchemaNewer, match=newer):
        migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == "0099"


def test_upgrading_keeps_existing_rows(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    execute(empty_database, INSERT_0001)
    migrate.upgrade(empty_database)
    rows = execute(empty_database, sa.text("SELECT summary, version FROM conversations"))
    assert [(row.summary, row.version) for row in rows] == [("kept", 1)]


# Rows as `keys create` stored them before 0003, the n-th created n seconds after T0: org-1 and
# org-2 differ only in case and spaces, as do user-1 and user-2 (user-3 is in org-2); the names
# of org-3, org-4 and user-4 would be refused today.
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ANSI, BIDI, LONG = "evil\x1b[31m", "\u202enimda", "x" * 120_000
INSERT_0002_ORGANIZATIONS = sa.text(
    "INSERT INTO organizations (id, name, created_at) VALUES ('org-1', ' Acme ', :t1),"
    " ('org-2', 'ACME', :t2), ('org-3', :ansi, :t3), ('org-4', :long, :t4)"
)
INSERT_0002_USERS = sa.text(
    "INSERT INTO users (id, organization_id, name, created_at) VALUES"
    " ('user-1', 'org-1', 'alice', :t1), ('user-2', 'org-1', 'ALICE ', :t2),"
    " ('user-3', 'org-2', 'Alice', :t2), ('user-4', 'org-3', :bidi, :t3),"
    " ('user-5', 'org-4', 'bob', :t4)"
)
INSERT_0002_KEYS = sa.text(
    "INSERT INTO api_keys (id, user_id, secret_hash, created_at) VALUES ('k1', 'user-1', 'h', :t1),"
    " ('k2', 'user-2', 'h', :t2), ('k3', 'user-3', 'h', :t3), ('k4', 'user-4', 'h', :t4),"
    " ('k5', 'user-5', 'h', :t5)"
)


def name_keys(database_url: str, table: str) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in execute(database_url, sa.text(f"SELECT id, name_key FROM {table} ORDER BY id"))
    ]


def test_upgrading_to_name_keys_keeps_every_key_and_gives_each_name_to_its_oldest_row(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, "0002")
    times = {f"t{n}": T0 + timedelta(seconds=n) for n in range(1, 6)}
    for insert in (INSERT_0002_ORGANIZATIONS, INSERT_0002_USERS, INSERT_0002_KEYS):
        execute(empty_database, insert, **times, ansi=ANSI, bidi=BIDI, long=LONG)
    migrate.upgrade(empty_database)

    # NULL: a name some older row has (up to case and spaces), or one refused today.
    assert name_keys(empty_database, "organizations") == [
        ("org-1", "acme"), ("org-2", None), ("org-3", None), ("org-4", None)
    ]  # fmt: skip
    assert name_keys(empty_database, "users") == [
        ("user-1", "alice"), ("user-2", None), ("user-3", "alice"), ("user-4", None),
        ("user-5", "bob"),
    ]  # fmt: skip

    async def use() -> None:
        store = store_for(empty_database)
        await store.open()
        try:
            for n, organization in ((1, 1), (2, 1), (3, 2), (4, 3), (5, 4)):
                owner = await store.api_key_owner(f"k{n}")
                assert owner, n
                assert (owner.organization_id, owner.user_id) == (
                    f"org-{organization}",
                    f"user-{n}",
                )
            assert [(k.organization_name, k.user_name) for k in await store.list_api_keys()] == [
                (" Acme ", "alice"), (" Acme ", "ALICE "), ("ACME", "Alice"), (ANSI, BIDI),
                (LONG, "bob"),
            ]  # fmt: skip
            # New keys for these names act in the oldest organization, as its oldest user.
            minted = await keys.mint(store, organization="acme", user="Alice")
            assert await keys.actor_for(store, minted.key) == Actor("user-1", "org-1")
        finally:
            await store.close()

    run_async(use())


def test_upgrading_to_the_new_fields_keeps_conversations_intact_with_the_new_fields_unset(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, "0003")
    execute(empty_database, INSERT_0001)
    execute(
        empty_database,
        sa.text("UPDATE conversations SET version = 3 WHERE id = 'conv-1'"),
    )
    second = INSERT_0001.text.replace("conv-1", "conv-2").replace("'kept'", "NULL")
    execute(empty_database, sa.text(second))
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()

    async def use() -> None:
        store = store_for(empty_database)
        await store.open()
        try:
            kept = await store.get("org-1", "conv-1")
            assert kept is not None and kept.version == 3
            got = kept.conversation
            assert (got.id, got.agent_id, got.summary, got.created_by_id) == (
                "conv-1", "agent-1", "kept", "user-1"
            )  # fmt: skip
            assert (got.in_context_message_ids, got.isolated_block_ids) == ([], [])
            assert got.model_dump(
                include={"description", "model", "context_window_limit", "last_message_at",
                         "archived", "archived_at"}
            ) == {
                "description": None, "model": None, "context_window_limit": None,
                "last_message_at": None, "archived": False, "archived_at": None,
            }  # fmt: skip
            # Neither hidden nor archived: both are listed as before.
            listed = await store.list_page(Page(organization_id="org-1", limit=10, order="asc"))
            assert [c["id"] for c in listed] == ["conv-1", "conv-2"]
        finally:
            await store.close()

    run_async(use())


BEFORE_MODEL_SETTINGS = "0005"
"""The revision 0006 (model_settings) revises."""
INSERT_0005 = sa.text(
    "INSERT INTO conversations (id, organization_id, agent_id, summary, description, model,"
    " context_window_limit, last_message_at, archived_at, hidden, created_at, created_by_id,"
    " updated_at, last_updated_by_id, version)"
    " VALUES (:id, 'org-1', 'agent-1', 'kept', 'd', 'openai/gpt-4o', 8000, :now, :archived_at,"
    " :hidden, :now, 'user-1', :now, 'user-1', 4)"
)
SETTINGS = {"provider_type": "openai", "temperature": 1, "note": "\x00 kept"}


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    url = DatabaseUrl.parse(database_url).sqlalchemy_url
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_upgrading_to_model_settings_keeps_conversations_intact_and_downgrading_round_trips(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, BEFORE_MODEL_SETTINGS)
    execute(empty_database, INSERT_0005, id="conv-1", archived_at=None, hidden=False)
    execute(empty_database, INSERT_0005, id="conv-2", archived_at=T0, hidden=True)
    migrate.upgrade(empty_database)
    fields = {"summary", "description", "model", "context_window_limit", "archived"}

    async def read() -> dict[str, tuple[int, dict[str, object]]]:
        store = store_for(empty_database)
        await store.open()
        try:
            found = {}
            for id in ("conv-1", "conv-2"):
                got = await store.get("org-1", id)
                assert got is not None, id
                dumped = got.conversation.model_dump(include={*fields, "model_settings"})
                found[id] = (got.version, dumped)
            return found
        finally:
            await store.close()

    kept = {"summary": "kept", "description": "d", "model": "openai/gpt-4o"}
    before = {
        "conv-1": (4, {**kept, "context_window_limit": 8000, "archived": False}),
        "conv-2": (4, {**kept, "context_window_limit": 8000, "archived": True}),
    }
    after = run_async(read())
    assert after == {id: (v, {**f, "model_settings": None}) for id, (v, f) in before.items()}

    execute(
        empty_database,
        sa.text("UPDATE conversations SET model_settings = :settings WHERE id = 'conv-1'"),
        settings=json_text(SETTINGS),
    )
    assert run_async(read())["conv-1"][1]["model_settings"] == SETTINGS
    command.downgrade(alembic_config(empty_database), BEFORE_MODEL_SETTINGS)
    assert migrate.current_revision(empty_database) == BEFORE_MODEL_SETTINGS
    rows = execute(empty_database, sa.text("SELECT id, summary FROM conversations ORDER BY id"))
    assert [(row.id, row.summary) for row in rows] == [("conv-1", "kept"), ("conv-2", "kept")]
    migrate.upgrade(empty_database)
    assert run_async(read()) == after


def test_every_migration_downgrades_and_upgrades_again(empty_database: str) -> None:
    # A release rolled back by hand (alembic downgrade) must leave a schema that upgrades again.
    migrate.upgrade(empty_database)
    command.downgrade(alembic_config(empty_database), "base")
    assert migrate.current_revision(empty_database) is None
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    minted = run_async(_mint(empty_database))
    assert minted.startswith("lck_")


async def _mint(database_url: str) -> str:
    store = store_for(database_url)
    await store.open()
    try:
        return (await keys.mint(store, organization="acme", user="alice")).key
    finally:
        await store.close()


BEFORE_SEARCH_INDEX = "0008"
INSERT_0008 = sa.text(
    "INSERT INTO conversations (id, organization_id, agent_id, summary, created_at,"
    " created_by_id, updated_at, last_updated_by_id, deleted_at)"
    " VALUES (:id, 'org-1', 'agent-1', :summary, :now, 'user-1', :now, 'user-1', :deleted_at)"
)


def _searched(database_url: str, term: str) -> list[str]:
    async def search() -> list[str]:
        store = store_for(database_url)
        await store.open()
        try:
            page = Page("org-1", 100, "asc", summary_search=term, archive_status="all")
            return [conversation["id"] for conversation in await store.list_page(page)]
        finally:
            await store.close()

    return run_async(search())


def _search_index(database_url: str) -> list[str]:
    """The summaries' text index: on SQLite the seqs its FTS table holds, on PostgreSQL the
    name of the index (none before migration 0009)."""
    if DatabaseUrl.parse(database_url).engine == "postgresql":
        statement = sa.text(
            "SELECT indexname FROM pg_indexes WHERE indexname = 'conversations_summary_trigrams'"
        )
        return [row.indexname for row in execute(database_url, statement)]
    tables = execute(
        database_url,
        sa.text("SELECT name FROM sqlite_master WHERE name = 'conversation_summaries'"),
    )
    if not tables:
        return []
    rows = execute(
        database_url,
        sa.text("SELECT rowid FROM conversation_summaries WHERE conversation_summaries MATCH :q"),
        q='"dex"',
    )
    return [str(row.rowid) for row in rows]


def test_upgrading_a_populated_database_indexes_its_live_summaries_and_downgrading_round_trips(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation_pages, "SCAN_FIRST", 0)  # answered from the index's candidates
    migrate.upgrade(empty_database, BEFORE_SEARCH_INDEX)
    rows = {
        "conv-1": ("indexed", None),
        "conv-2": (None, None),
        "conv-3": ("deleted index", T0),
        "conv-4": ("Also INDEXED", None),
    }
    for id, (summary, deleted_at) in rows.items():
        execute(empty_database, INSERT_0008, id=id, summary=summary, deleted_at=deleted_at)
    migrate.upgrade(empty_database)
    assert _searched(empty_database, "index") == ["conv-1", "conv-4"]
    if DatabaseUrl.parse(empty_database).engine == "sqlite":
        assert _search_index(empty_database) == ["1", "4"]  # live summaries only
    else:
        assert _search_index(empty_database) == ["conversations_summary_trigrams"]
    command.downgrade(alembic_config(empty_database), BEFORE_SEARCH_INDEX)
    assert _search_index(empty_database) == []
    migrate.upgrade(empty_database)
    assert _searched(empty_database, "index") == ["conv-1", "conv-4"]


def test_an_engine_that_cannot_index_summaries_is_refused_saying_so(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a Python whose SQLite lacks FTS5's trigram tokenizer, or a PostgreSQL without pg_trgm.
    monkeypatch.setattr(
        migrate, "SQLITE_TRIGRAM_PROBE", "CREATE VIRTUAL TABLE temp.probe USING nosuchmodule(x)"
    )
    monkeypatch.setattr(migrate, "POSTGRES_EXTENSION", "pg_nosuchextension")
    with pytest.raises(migrate.DatabaseUnusable, match="cannot index summaries") as refused:
        migrate.upgrade(empty_database)
    assert "\n" not in str(refused.value)
    assert migrate.current_revision(empty_database) is None
    with pytest.raises(migrate.DatabaseUnusable, match="cannot index summaries"):
        migrate.require_usable(empty_database)
