"""The Alembic migrations, on both engines."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from server_impl.storage import migrate
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


def execute(database_url: str, statement: sa.TextClause) -> list[sa.Row[tuple[object, ...]]]:
    url = DatabaseUrl.parse(database_url).sqlalchemy_url
    if url.startswith("postgresql"):
        from sqlalchemy.ext.asyncio import create_async_engine

        async def run() -> list[sa.Row[tuple[object, ...]]]:
            engine = create_async_engine(url)
            async with engine.begin() as connection:
                result = await connection.execute(statement, {"now": datetime.now(UTC)})
                rows = list(result) if result.returns_rows else []
            await engine.dispose()
            return rows

        return run_async(run())
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        result = connection.execute(statement, {"now": datetime.now(UTC).isoformat()})
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


def test_upgrading_keeps_existing_rows(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    execute(empty_database, INSERT_0001)
    migrate.upgrade(empty_database)
    rows = execute(empty_database, sa.text("SELECT summary, version FROM conversations"))
    assert [(row.summary, row.version) for row in rows] == [("kept", 1)]
