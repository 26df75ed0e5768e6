"""The database schema, changed only by the Alembic migrations in migrations/versions/.

`migrate` applies them; `serve` and `keys` refuse to run on a database whose schema is not at
the newest revision, so that replicas never race to migrate on start.
"""

import asyncio
import sqlite3
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from server_impl.domain.errors import StorageUnavailable

from . import store_for
from .urls import DatabaseUrl, ensure_folder, shown

# Alembic reads its scripts from a folder by name; installed packages are plain files.
MIGRATIONS = Path(str(files("server_impl.storage").joinpath("migrations")))


class SchemaOutOfDate(RuntimeError):
    pass


class SchemaNewer(SchemaOutOfDate):
    """The schema is at a revision this release does not have: a newer release migrated it."""


class DatabaseUnusable(RuntimeError):
    """The database cannot be reached or read: not a database file, refused, unreachable."""


def _sqlalchemy_url(database_url: str) -> str:
    return DatabaseUrl.parse(database_url).sqlalchemy_url


def _missing_file(database_url: str) -> bool:
    """Whether a SQLite URL names a file that does not exist (connecting would create it)."""
    url = DatabaseUrl.parse(database_url)
    return (
        url.engine == "sqlite"
        and url.sqlite_path != ":memory:"
        and not (Path(url.sqlite_path).exists())
    )


def _unusable(database_url: str, error: Exception) -> DatabaseUnusable:
    cause = error.orig if isinstance(error, DBAPIError) else error
    reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return DatabaseUnusable(f"Cannot use the database at {shown(database_url)}: {reason}")


def _config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config("sqlite:///:memory:"))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "migrations/versions/ holds at least one revision"
    return head


def _refuse_newer(database_url: str, current: str | None) -> None:
    """Raises SchemaNewer when current is a revision none of this release's migrations make.

    Alembic can neither upgrade from nor downgrade such a revision, and this release's queries
    would run on a schema they were not written for.
    """
    if current is None or current in {script.revision for script in _scripts().walk_revisions()}:
        return
    raise SchemaNewer(
        f"The database at {shown(database_url)} is newer than this release: its schema is at"
        f" revision {current}, and this release knows revisions up to {head_revision()}; run"
        " the release that migrated it, or a later one"
    )


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(database_url: str) -> str | None:
    """The schema's revision, None for an empty database (or a SQLite file not there, which this
    leaves uncreated); raises DatabaseUnusable when the database cannot be read."""
    if _missing_file(database_url):
        return None
    try:
        return _read_revision(database_url)
    except (DBAPIError, OSError) as error:
        raise _unusable(database_url, error) from error


def _read_revision(database_url: str) -> str | None:
    url = _sqlalchemy_url(database_url)
    if DatabaseUrl.parse(database_url).engine == "postgresql":

        async def read() -> str | None:
            engine = create_async_engine(url, poolclass=pool.NullPool)
            try:
                async with engine.connect() as connection:
                    return await connection.run_sync(_revision_of)
            finally:
                await engine.dispose()

        return asyncio.run(read())
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    finally:
        engine.dispose()


# What migration 0009's text index needs of each engine.
SQLITE_TRIGRAM_PROBE = "CREATE VIRTUAL TABLE temp.probe USING fts5(text, tokenize='trigram')"
POSTGRES_EXTENSION = "pg_trgm"


def require_text_index(database_url: str) -> None:
    """Raises DatabaseUnusable unless the engine has what summary_search's index needs: SQLite
    with FTS5 and its trigram tokenizer (3.34 or later), or PostgreSQL with pg_trgm available
    (Debian ships it in postgresql-15; some builds in a -contrib package)."""
    url = DatabaseUrl.parse(database_url)
    if url.engine == "sqlite":
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute(SQLITE_TRIGRAM_PROBE)
        except sqlite3.Error as error:
            raise DatabaseUnusable(
                f"This Python's SQLite {sqlite3.sqlite_version} cannot index summaries: it needs"
                f" FTS5 with the trigram tokenizer (SQLite 3.34 or later built with FTS5): {error}"
            ) from error
        finally:
            probe.close()
        return

    async def available() -> bool:
        engine = create_async_engine(url.sqlalchemy_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                found = await connection.execute(
                    text("SELECT 1 FROM pg_available_extensions WHERE name = :name"),
                    {"name": POSTGRES_EXTENSION},
                )
                return found.first() is not None
        finally:
            await engine.dispose()

    try:
        found = asyncio.run(available())
    except (DBAPIError, OSError) as error:
        raise _unusable(database_url, error) from error
    if not found:
        raise DatabaseUnusable(
            f"The PostgreSQL server of {shown(database_url)} cannot index summaries: its"
            f" {POSTGRES_EXTENSION} extension is not installed (on Debian it comes with the"
            " server package; elsewhere, often in a -contrib package)"
        )


def upgrade(database_url: str, revision: str = "head") -> str:
    """Applies the pending migrations up to revision; returns the revision now current.

    A new SQLite file is created, in a new folder if need be. Raises SchemaNewer, changing
    nothing, for a database a newer release migrated.
    """
    url = DatabaseUrl.parse(database_url)
    if url.engine == "sqlite":
        ensure_folder(url.sqlite_path)
    _refuse_newer(database_url, current_revision(database_url))
    require_text_index(database_url)
    try:
        command.upgrade(_config(database_url), revision)
    except (DBAPIError, OSError) as error:
        raise _unusable(database_url, error) from error
    current = current_revision(database_url)
    assert current is not None, "an upgrade leaves a revision behind"
    return current


def require_current(database_url: str, *, command_name: str) -> None:
    """Raises SchemaOutOfDate, naming the command that fixes it, unless the schema is current."""
    current, head = current_revision(database_url), head_revision()
    if current == head:
        return
    _refuse_newer(database_url, current)
    fix = f"{command_name} migrate --database-url {shown(database_url)}"
    if _missing_file(database_url):
        raise SchemaOutOfDate(f"There is no database at {shown(database_url)}; create it: {fix}")
    raise SchemaOutOfDate(
        f"The database schema is at revision {current or 'none (empty database)'}, and this"
        f" server needs {head}; apply the migrations first: {fix}"
    )


def require_usable(database_url: str) -> None:
    """Raises DatabaseUnusable unless the store opens and its database can be read and written
    now: a read-only SQLite file or folder is refused at start, rather than every write failing
    once served; so is an engine that cannot keep summary_search's index."""

    async def check() -> None:
        store = store_for(database_url)
        try:
            await store.open()
            await store.ping()
        finally:
            await store.close()

    require_text_index(database_url)
    try:
        asyncio.run(check())
    except StorageUnavailable as error:
        raise DatabaseUnusable(
            f"Cannot use the database at {shown(database_url)}: {error.reason}"
        ) from error
