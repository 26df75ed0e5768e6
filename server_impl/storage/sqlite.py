"""SQLite, the embedded default: what differs from PostgreSQL. The schema comes from migrate.

Calls run inline on the event loop: each is an indexed lookup of microseconds, cheaper than a
hop to a worker thread, and running them on one thread serializes this process's writers, so
they never wait on each other for SQLite's lock. Other processes on the same file wait up to
the busy timeout, then get StorageUnavailable (a 503). A file that cannot be written (read-only,
in a read-only folder or file system, immutable) is StorageUnavailable too: refused at start
(ping), and a 503 for each write and for readiness if it becomes so while serving.
"""

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime

from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.versions import Versions

from .sql import Dialect, Params, Queries, Query, Row, SqlStore
from .urls import ensure_folder

BUSY_TIMEOUT_MS = 5000

SQLITE = Dialect(
    version_in="version IN (SELECT value FROM json_each(:versions))",
    contains="summary LIKE :pattern ESCAPE '\\'",
    # BEGIN IMMEDIATE has already locked the whole database for writing.
    lock_row="",
    # Times are stored as fixed-width text (_time), whose order is time order.
    greatest="max",
    # '' sorts before every stored time: the expression of migration 0005's indexes.
    last_message_key="COALESCE(last_message_at, '')",
    # One writer at a time: no row is ever locked by another.
    skip_locked="",
    # Migration 0009's FTS5 table; CROSS JOIN makes SQLite read the candidates first.
    search_candidates=(
        "(SELECT rowid AS candidate FROM conversation_summaries"
        " WHERE conversation_summaries MATCH :phrase) CROSS JOIN conversations ON seq = candidate"
    ),
)


UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY}
"""SQLite's primary result codes that say the file cannot be written now, but may be later:
another writer holds the lock, or the file, its folder or its file system is read-only."""


def _code(error: sqlite3.Error) -> int:
    # Extended result codes (SQLITE_READONLY_DIRECTORY, ...) carry the primary one in the low byte.
    return error.sqlite_errorcode & 0xFF


@contextmanager
def _unwritable_is_unavailable() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if _code(error) in UNAVAILABLE:
            raise StorageUnavailable(str(error)) from error
        raise


def _require_writable(db: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Raises sqlite3.OperationalError (SQLITE_READONLY) unless the file can be written now.

    A statement that writes nothing still starts a write transaction, which SQLite refuses at
    once on a read-only file; it is rolled back. Another process's lock shows that the file
    takes writes, so it is not waited for; nor is a transaction of this connection, which is
    writing.
    """
    if db.in_transaction:
        return
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute("BEGIN")
        try:
            db.execute("DELETE FROM alembic_version WHERE 0")
        except sqlite3.OperationalError as error:
            if _code(error) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
        finally:
            db.execute("ROLLBACK")
    finally:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")


def _first(db: sqlite3.Connection, query: Query, params: Params) -> Row | None:
    with _unwritable_is_unavailable():
        return db.execute(query.qmark, query.qmark_args(params)).fetchone()


class _Session:
    """Statements on the process's one connection, run inline."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    async def one(self, query: Query, params: Params) -> Row | None:
        return _first(self._db, query, params)

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        with _unwritable_is_unavailable():
            return self._db.execute(query.qmark, query.qmark_args(params)).fetchall()

    async def run(self, query: Query, params: Params) -> None:
        with _unwritable_is_unavailable():
            self._db.execute(query.qmark, query.qmark_args(params))


class SqliteStore(SqlStore):
    queries = Queries(SQLITE)

    def __init__(self, path: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self._path = path
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageUnavailable("the SQLite connection is not open")
        return self._db

    async def open(self) -> None:
        """Raises StorageUnavailable when the file cannot be opened as this store needs: a
        read-only folder, say, where SQLite cannot make the WAL's files."""
        ensure_folder(self._path)
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies, only on power loss.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as error:
            db.close()
            raise StorageUnavailable(str(error)) from error
        self._db = db

    async def ping(self) -> None:
        """Reads the schema and starts a write that writes nothing: the connection is open and
        the file can be read and written now."""
        db = self.db
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            _require_writable(db, self._busy_timeout_ms)
        except sqlite3.Error as error:
            raise StorageUnavailable(str(error)) from error

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def _one(self, query: Query, params: Params) -> Row | None:
        # The hot path (every key check, retrieve and update): no session per call.
        return _first(self.db, query, params)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Session]:
        yield _Session(self.db)

    @asynccontextmanager
    async def _transaction(self, *, lock_keys: bool = False) -> AsyncIterator[_Session]:
        # BEGIN IMMEDIATE takes SQLite's write lock at once, over every table: no other writer
        # comes between a check and the write it guards.
        db = self.db
        with _unwritable_is_unavailable():
            db.execute("BEGIN IMMEDIATE")
        try:
            yield _Session(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        with _unwritable_is_unavailable():
            db.execute("COMMIT")

    def _time(self, moment: datetime) -> str:
        # Fixed width, so text order is time order.
        return moment.isoformat(timespec="microseconds")

    def _read_time(self, stored: str) -> datetime:
        return datetime.fromisoformat(stored)

    def _last_message_key(self, moment: datetime | None) -> str:
        return "" if moment is None else self._time(moment)

    def _versions(self, versions: Versions) -> str:
        return json.dumps(sorted(versions))
