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
- Writes and transactions run on the one writer connection, one at a time (`_Writer.turn`), so
  this process's writers never wait on each other for SQLite's lock, and every statement of a
  transaction runs on that connection. BEGIN IMMEDIATE takes the lock for a transaction's whole
  span. A write runs at once on the event loop while the lock is free; when another process
  holds it, the write waits for it on the writer's thread, up to the busy timeout, then gets
  StorageUnavailable (a 503), while the loop goes on.
- A file that cannot be written (read-only, in a read-only folder or file system, immutable) is
  StorageUnavailable too: refused at start (ping), and a 503 for each write and for readiness if
  it becomes so while serving; reads go on.
"""

import asyncio
import contextlib
import functools
import json
import queue
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import TypeVar

from server_impl.domain.errors import OverBudget, StorageUnavailable
from server_impl.domain.versions import Versions

from .shares import OrganizationShares
from .sql import Dialect, Params, Query, Row
from .store import SqlStore
from .tuning import DEFAULTS, Tuning
from .urls import ensure_folder

PROGRESS_STEPS = 100_000
"""SQLite virtual machine steps between two looks at a reader's deadline: each look takes the
GIL, so rarely (a scan of 10^6 rows makes a few hundred); about a millisecond of work apart."""

T = TypeVar("T")

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


def _rows(db: sqlite3.Connection, query: Query, params: Params) -> list[Row]:
    # Every row fetched: the statement steps to its end and is reset, so a reader's snapshot
    # ends with it and the next statement sees every write committed since.
    return db.execute(query.qmark, query.qmark_args(params)).fetchall()


def _reads(query: Query) -> bool:
    return query.text.startswith("SELECT")


class _Reader:
    """A connection that only reads, with the deadline of the statement it runs: past it,
    SQLite's progress handler interrupts the statement."""

    def __init__(self, db: sqlite3.Connection, budget_s: float) -> None:
        self.db = db
        self.deadline = 0.0
        self._budget_s = budget_s
        db.set_progress_handler(self._past_deadline, PROGRESS_STEPS)

    def _past_deadline(self) -> bool:
        return time.monotonic() > self.deadline

    def read(self, query: Query, params: Params) -> list[Row]:
        self.deadline = time.monotonic() + self._budget_s
        try:
            with _unwritable_is_unavailable():
                return _rows(self.db, query, params)
        except sqlite3.OperationalError as error:
            if _code(error) == sqlite3.SQLITE_INTERRUPT:
                raise OverBudget(self._budget_s) from error
            raise


class _Readers:
    """Reader connections, each used by one thread at a time, on threads of their own."""

    def __init__(self, readers: list[_Reader]) -> None:
        self._idle: queue.SimpleQueue[_Reader] = queue.SimpleQueue()
        for reader in readers:
            self._idle.put(reader)
        self._all = readers
        # As many threads as connections: a thread always finds one idle.
        self._threads = ThreadPoolExecutor(len(readers), thread_name_prefix="sqlite-reader")

    def _run(self, query: Query, params: Params) -> list[Row]:
        reader = self._idle.get_nowait()
        try:
            return reader.read(query, params)
        finally:
            self._idle.put(reader)

    async def all(self, query: Query, params: Params) -> list[Row]:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self._run, query, params
        )

    def close(self) -> None:
        for reader in self._all:
            reader.db.interrupt()
        self._threads.shutdown(wait=True)
        for reader in self._all:
            reader.db.close()


class _Writer:
    """The one connection that writes. A statement or a transaction holds `turn` until it ends,
    so no statement runs inside another's transaction, and this process's writers never wait
    on each other for SQLite's lock.

    Its busy timeout is 0: a statement runs at once on the event loop while SQLite's lock is
    free (always, unless another process writes), an indexed write of microseconds, cheaper than
    a hop to a thread. When another process holds the lock, it is run again on the writer's
    thread, which waits for the lock up to the busy timeout while the loop goes on.
    """

    def __init__(self, db: sqlite3.Connection, busy_timeout_ms: int) -> None:
        db.execute("PRAGMA busy_timeout = 0")
        self.db = db
        self.turn = asyncio.Lock()
        self._busy_timeout_ms = busy_timeout_ms
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work on the connection, now or on the thread once the lock is free; the caller holds
        turn. Raises sqlite3.Error as work does."""
        try:
            return work(self.db)
        except sqlite3.OperationalError as error:
            # Refused before anything was written: no lock, no write.
            if _code(error) != sqlite3.SQLITE_BUSY:
                raise
        waited = asyncio.wrap_future(self._thread.submit(self._waiting, work))
        try:
            return await asyncio.shield(waited)
        except asyncio.CancelledError:
            # The statement goes on on the thread: turn stays held until it ends, so that no
            # other statement uses the connection meanwhile.
            with contextlib.suppress(Exception):
                await waited
            raise

    def _waiting(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self.db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        try:
            return work(self.db)
        finally:
            self.db.execute("PRAGMA busy_timeout = 0")

    async def rows(self, query: Query, params: Params) -> list[Row]:
        """The rows of a statement committed on its own."""
        async with self.turn:
            with _unwritable_is_unavailable():
                return await self.run(functools.partial(_rows, query=query, params=params))

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.db.close()


class _Session:
    """Statements each committed on its own: reads on the readers' threads, writes on the
    writer."""

    def __init__(self, store: "SqliteStore") -> None:
        self._store = store

    async def one(self, query: Query, params: Params) -> Row | None:
        rows = await self.all(query, params)
        return rows[0] if rows else None

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        if _reads(query):
            return await self._store.readers.all(query, params)
        return await self._store.writer.rows(query, params)

    async def run(self, query: Query, params: Params) -> None:
        await self.all(query, params)


class _InTransaction:
    """Statements of one transaction, on the writer, which the transaction holds."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    async def one(self, query: Query, params: Params) -> Row | None:
        rows = await self.all(query, params)
        return rows[0] if rows else None

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        with _unwritable_is_unavailable():
            return await self._writer.run(functools.partial(_rows, query=query, params=params))

    async def run(self, query: Query, params: Params) -> None:
        await self.all(query, params)


def _connect(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        db.close()
        raise StorageUnavailable(str(error)) from error
    return db


class SqliteStore(SqlStore):
    dialect = SQLITE

    def __init__(self, path: str, tuning: Tuning = DEFAULTS) -> None:
        self.lists = OrganizationShares(tuning.lists_per_organization)
        self._path = path
        self._busy_timeout_ms = round(tuning.sqlite_busy_timeout_s * 1000)
        self._reader_count = tuning.sqlite_readers
        self._budget_s = tuning.statement_budget_s
        self._writer: _Writer | None = None
        self._readers: _Readers | None = None
        self._lookups: _Reader | None = None

    @property
    def writer(self) -> _Writer:
        if self._writer is None:
            raise StorageUnavailable("the SQLite connection is not open")
        return self._writer

    @property
    def readers(self) -> _Readers:
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
        db = _connect(self._path, self._busy_timeout_ms)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies, only on power loss.
            db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            db.close()
            raise StorageUnavailable(str(error)) from error
        readers: list[_Reader] = []
        try:
            # One more than the threads': the lookups', used on the event loop.
            for _ in range(self._reader_count + 1):
                reader = _connect(self._path, self._busy_timeout_ms)
                readers.append(_Reader(reader, self._budget_s))
                reader.execute("PRAGMA query_only = ON")
        except BaseException:
            for opened in readers:
                opened.db.close()
            db.close()
            raise
        self._writer = _Writer(db, self._busy_timeout_ms)
        self._lookups = readers.pop()
        self._readers = _Readers(readers)

    async def ping(self) -> None:
        """Reads the schema and starts a write that writes nothing: the connection is open and
        the file can be read and written now."""
        writer = self.writer

        try:
            async with writer.turn:
                writer.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                # Its busy timeout is 0 already (_Writer).
                _require_writable(writer.db, 0)
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
        if _reads(query):
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
    async def _transaction(self, *, lock_api_keys: bool = False) -> AsyncIterator[_InTransaction]:
        # BEGIN IMMEDIATE takes SQLite's write lock at once, over every table: no other writer
        # comes between a check and the write it guards.
        writer = self.writer

        def roll_back(db: sqlite3.Connection) -> None:
            if db.in_transaction:
                db.execute("ROLLBACK")

        async with writer.turn:
            try:
                with _unwritable_is_unavailable():
                    await writer.run(lambda db: db.execute("BEGIN IMMEDIATE"))
                yield _InTransaction(writer)
            except BaseException:
                await writer.run(roll_back)
                raise
            with _unwritable_is_unavailable():
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
