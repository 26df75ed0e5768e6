"""SQLite, the embedded default: what differs from PostgreSQL. The schema comes from migrate.

No statement that can take long runs on the event loop, so none holds up the process's other
requests:

- List pages (the reads whose cost grows with an organization) run on a few reader
  connections (WAL lets them read beside the writer), each on a thread of its own; sqlite3 lets
  go of the GIL while SQLite works. Lookups of one row by a unique index (every key check and
  retrieve) run on the event loop on a reader connection of their own: microseconds, which a
  WAL reader never waits for a lock to take, and cheaper than a hop to a thread. Each read
  fetches every row at once and so ends its snapshot: it sees every write committed before it
  started, as a client's next request after an answered write does. A read still running after
  the statement budget is interrupted by SQLite's progress handler: OverBudget, a 503 that
  changed nothing.
- Writes and transactions run on the one writer connection, one at a time (`Writer.turn`), so
  this process's writers never wait on each other for SQLite's lock, and every statement of a
  transaction runs on that connection. BEGIN IMMEDIATE takes the lock for a transaction's whole
  span. A write runs at once on the event loop while the lock is free; when another process
  holds it, the write waits for it on the writer's thread, up to the busy timeout, then gets
  StorageUnavailable (a 503), while the loop goes on.
- A file that cannot be written (read-only, in a read-only folder or file system, immutable) is
  StorageUnavailable too: refused at start (ping), and a 503 for each write and for readiness if
  it becomes so while serving; reads go on.
"""

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.versions import Versions

from .shares import OrganizationShares
from .sql import Dialect, Params, Query, Row
from .sqlite_connections import (
    InTransaction,
    Reader,
    Readers,
    Writer,
    connect,
    reads,
    require_writable,
    unwritable_is_unavailable,
)
from .store import SqlStore
from .tuning import DEFAULTS, Tuning
from .urls import ensure_folder

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


class _Session:
    """Statements each committed on its own: reads on the readers' threads, writes on the
    writer."""

    def __init__(self, store: "SqliteStore") -> None:
        self._store = store

    async def one(self, query: Query, params: Params) -> Row | None:
        rows = await self.all(query, params)
        return rows[0] if rows else None

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        if reads(query):
            return await self._store.readers.all(query, params)
        return await self._store.writer.rows(query, params)

    async def run(self, query: Query, params: Params) -> None:
        await self.all(query, params)


class SqliteStore(SqlStore):
    dialect = SQLITE

    def __init__(self, path: str, tuning: Tuning = DEFAULTS) -> None:
        self.lists = OrganizationShares(tuning.lists_per_organization)
        self.scans = OrganizationShares(tuning.scans_per_organization)
        self._path = path
        self._busy_timeout_ms = round(tuning.sqlite_busy_timeout_s * 1000)
        self._reader_count = tuning.sqlite_readers
        self._budget_s = tuning.statement_budget_s
        self._writer: Writer | None = None
        self._readers: Readers | None = None
        self._lookups: Reader | None = None

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise StorageUnavailable("the SQLite connection is not open")
        return self._writer

    @property
    def readers(self) -> Readers:
        if self._readers is None:
            raise StorageUnavailable("the SQLite connection is not open")
        return self._readers

    @property
    def db(self) -> sqlite3.Connection:
        """The writer's connection."""
        return self.writer.db

    async def open(self) -> None:
        """Raises StorageUnavailable when the file cannot be opened as this store needs: a
        read-only folder, say, where SQLite cannot make the WAL's files."""
        ensure_folder(self._path)
        db = connect(self._path, self._busy_timeout_ms)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies, only on power loss.
            db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            db.close()
            raise StorageUnavailable(str(error)) from error
        readers: list[Reader] = []
        try:
            # One more than the threads': the lookups', used on the event loop.
            for _ in range(self._reader_count + 1):
                reader = connect(self._path, self._busy_timeout_ms)
                readers.append(Reader(reader, self._budget_s))
                reader.execute("PRAGMA query_only = ON")
        except BaseException:
            for opened in readers:
                opened.db.close()
            db.close()
            raise
        self._writer = Writer(db, self._busy_timeout_ms)
        self._lookups = readers.pop()
        self._readers = Readers(readers)

    async def ping(self) -> None:
        """Reads the schema and starts a write that writes nothing: the connection is open and
        the file can be read and written now."""
        writer = self.writer

        try:
            async with writer.turn:
                writer.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                # Its busy timeout is 0 already (Writer).
                require_writable(writer.db, 0)
        except sqlite3.Error as error:
            raise StorageUnavailable(str(error)) from error

    async def close(self) -> None:
        writer, readers, lookups = self._writer, self._readers, self._lookups
        self._writer = self._readers = self._lookups = None
        if readers is not None:
            readers.close()
        if lookups is not None:
            lookups.db.close()
        if writer is not None:
            async with writer.turn:
                writer.close()

    async def _one(self, query: Query, params: Params) -> Row | None:
        # The hot path (every key check, retrieve and update): no session per call. Its reads
        # are lookups of one row by a unique index, microseconds that a WAL reader never waits
        # for a lock to take: on the event loop, cheaper than a hop to a thread. Reads of many
        # rows (list pages) go through _connection, to the readers' threads.
        if reads(query):
            if self._lookups is None:
                raise StorageUnavailable("the SQLite connection is not open")
            rows = self._lookups.read(query, params)
        else:
            rows = await self.writer.rows(query, params)
        return rows[0] if rows else None

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Session]:
        yield _Session(self)

    @asynccontextmanager
    async def _transaction(self, *, lock_api_keys: bool = False) -> AsyncIterator[InTransaction]:
        # BEGIN IMMEDIATE takes SQLite's write lock at once, over every table: no other writer
        # comes between a check and the write it guards.
        writer = self.writer

        def roll_back(db: sqlite3.Connection) -> None:
            if db.in_transaction:
                db.execute("ROLLBACK")

        async with writer.turn:
            try:
                with unwritable_is_unavailable():
                    await writer.run(lambda db: db.execute("BEGIN IMMEDIATE"))
                yield InTransaction(writer)
            except BaseException:
                await writer.run(roll_back)
                raise
            with unwritable_is_unavailable():
                await writer.run(lambda db: db.execute("COMMIT"))

    def _time(self, moment: datetime) -> str:
        # Fixed width, so text order is time order.
        return moment.isoformat(timespec="microseconds")

    def _read_time(self, stored: str) -> datetime:
        return datetime.fromisoformat(stored)

    def _last_message_key(self, moment: datetime | None) -> str:
        return "" if moment is None else self._time(moment)

    def _versions(self, versions: Versions) -> str:
        return json.dumps(sorted(versions))
