"""SQLite's connections as the store uses them (sqlite.py): reader connections on threads of
their own, each read under the statement budget; the one writer, which runs a statement at once
on the event loop while SQLite's lock is free and waits for it on its thread otherwise; and
SQLite's errors that say the file cannot be written now, as StorageUnavailable."""

import asyncio
import contextlib
import functools
import queue
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from server_impl.domain.errors import OverBudget, StorageUnavailable

from .sql import Params, Query, Row

PROGRESS_STEPS = 100_000
"""SQLite virtual machine steps between two looks at a reader's deadline: each look takes the
GIL, so rarely (a scan of 10^6 rows makes a few hundred); about a millisecond of work apart."""

T = TypeVar("T")

UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY}
"""SQLite's primary result codes that say the file cannot be written now, but may be later:
another writer holds the lock, or the file, its folder or its file system is read-only."""


def code_of(error: sqlite3.Error) -> int:
    # Extended result codes (SQLITE_READONLY_DIRECTORY, ...) carry the primary one in the low byte.
    return error.sqlite_errorcode & 0xFF


@contextmanager
def unwritable_is_unavailable() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if code_of(error) in UNAVAILABLE:
            raise StorageUnavailable(str(error)) from error
        raise


def require_writable(db: sqlite3.Connection, busy_timeout_ms: int) -> None:
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
            if code_of(error) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
        finally:
            db.execute("ROLLBACK")
    finally:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")


def read_rows(db: sqlite3.Connection, query: Query, params: Params) -> list[Row]:
    # Every row fetched: the statement steps to its end and is reset, so a reader's snapshot
    # ends with it and the next statement sees every write committed since.
    return db.execute(query.qmark, query.qmark_args(params)).fetchall()


def reads(query: Query) -> bool:
    return query.text.startswith("SELECT")


class Reader:
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
            with unwritable_is_unavailable():
                return read_rows(self.db, query, params)
        except sqlite3.OperationalError as error:
            if code_of(error) == sqlite3.SQLITE_INTERRUPT:
                raise OverBudget(self._budget_s) from error
            raise


class Readers:
    """Reader connections, each used by one thread at a time, on threads of their own."""

    def __init__(self, readers: list[Reader]) -> None:
        self._idle: queue.SimpleQueue[Reader] = queue.SimpleQueue()
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


class Writer:
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
            if code_of(error) != sqlite3.SQLITE_BUSY:
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
            with unwritable_is_unavailable():
                return await self.run(functools.partial(read_rows, query=query, params=params))

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.db.close()


class InTransaction:
    """Statements of one transaction, on the writer, which the transaction holds."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    async def one(self, query: Query, params: Params) -> Row | None:
        rows = await self.all(query, params)
        return rows[0] if rows else None

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        with unwritable_is_unavailable():
            return await self._writer.run(functools.partial(read_rows, query=query, params=params))

    async def run(self, query: Query, params: Params) -> None:
        await self.all(query, params)


def connect(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        db.close()
        raise StorageUnavailable(str(error)) from error
    return db
