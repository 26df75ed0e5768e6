"""Alembic environment: runs versions/ on SQLite (sync) or on PostgreSQL (through asyncpg)."""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def _transactional_ddl(engine: Engine) -> None:
    """Lets SQLite roll a failed migration back whole: the sqlite3 module would otherwise
    commit before each DDL statement (SQLAlchemy's recipe for pysqlite)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def main() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    if url.startswith("postgresql+asyncpg"):
        asyncio.run(_run_async(url))
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    _transactional_ddl(engine)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


main()
