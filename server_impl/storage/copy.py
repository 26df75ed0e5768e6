"""A whole database copied to another, of either engine, while the source is being served.

The source is read in one read transaction (SQLite: one WAL snapshot; PostgreSQL: REPEATABLE
READ, read only), so the copy is one consistent moment of it, whatever is written meanwhile.
The target, migrated to the same revision and empty, is written in one transaction, streamed in
batches (never the whole database in memory), read back and compared with what was read, table
by table (rows and a checksum of their values), and committed only if every table matches: a
copy that fails or is interrupted leaves the target as empty as it was.

What is copied: every table but Alembic's, row for row with its ids, `seq` (creation order),
versions, times and flags, soft-deleted conversations included; of the idempotency records, the
unexpired ones. The list-cursor key (`server_secrets`) replaces the target's own, so cursors
handed out by the source keep working on the target. API keys are stored as hashes, so every
key keeps working.
"""

import hashlib
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import asyncpg

from . import migrate
from .urls import DatabaseUrl, shown

TABLES = (
    "organizations",
    "users",
    "api_keys",
    "key_allowances",
    "conversations",
    "idempotency_keys",
)
"""Copied in this order (each one's references before it); the target must hold none of them."""
SECRETS = "server_secrets"
"""Holds a row made by the migration in every database; the source's replace the target's."""
BATCH_ROWS = 5_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
Kind = Literal["time", "bool", "plain"]
Row = tuple[Any, ...]


class CopyRefused(ValueError):
    """The copy was not started: the operator's to fix. Nothing was written."""


class CopyFailed(RuntimeError):
    """The copy failed part way; its transaction was rolled back, so nothing was written."""


class Progress(Protocol):
    def table(self, name: str, rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class _Quiet:
    def table(self, name: str, rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass
class Tally:
    """Rows and an order-free checksum of their values, whichever engine stores them."""

    rows: int = 0
    checksum: int = 0

    def add(self, normalized: Row) -> None:
        digest = hashlib.blake2b(repr(normalized).encode(), digest_size=8).digest()
        self.rows += 1
        self.checksum = (self.checksum + int.from_bytes(digest)) % 2**64


@dataclass
class Figures:
    """Per table, what was read from the source and what the target holds; the time taken."""

    source: dict[str, Tally] = field(default_factory=dict)
    target: dict[str, Tally] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(tally.rows for tally in self.source.values())


def _kind(declared: str) -> Kind:
    declared = declared.lower()
    if "timestamp" in declared or "datetime" in declared:
        return "time"
    return "bool" if "bool" in declared else "plain"


def _normalized(value: Any, kind: Kind) -> Any:
    """The value as both engines' checksums see it."""
    if value is None:
        return None
    if kind == "time":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return (moment - EPOCH) // MICROSECOND
    if kind == "bool":
        return int(value)
    return value


class _Side(ABC):
    """One database, in one transaction."""

    engine: str

    @abstractmethod
    async def tables(self) -> set[str]: ...

    @abstractmethod
    async def columns(self, table: str) -> list[tuple[str, Kind]]: ...

    @abstractmethod
    def batches(
        self, table: str, names: Sequence[str], where: str = "", *params: Any
    ) -> AsyncIterator[list[Row]]: ...

    @abstractmethod
    async def count(self, table: str, where: str = "", *params: Any) -> int: ...

    @abstractmethod
    async def close(self) -> None: ...

    def stored(self, value: Any, kind: Kind) -> Any:
        """A value read from either engine as this one stores it."""
        if value is None:
            return None
        if kind == "time":
            return self.time(
                value if isinstance(value, datetime) else datetime.fromisoformat(value)
            )
        if kind == "bool":
            return self.boolean(value)
        return value

    @abstractmethod
    def time(self, moment: datetime) -> Any: ...

    @abstractmethod
    def boolean(self, value: Any) -> Any: ...


class _Sqlite(_Side):
    engine = "sqlite"

    def __init__(self, path: str, *, write: bool) -> None:
        # mode=rw: a missing file is an error, never a new empty database.
        self.db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA foreign_keys = ON")
        # A writer takes the write lock at once; a reader's snapshot is taken by its first read.
        self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()

    async def tables(self) -> set[str]:
        rows = self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != 'alembic_version' AND name NOT LIKE 'conversation_summaries%'"
        )
        return {name for (name,) in rows}

    async def columns(self, table: str) -> list[tuple[str, Kind]]:
        rows = self.db.execute(f"PRAGMA table_info({table})").fetchall()
        return [(row[1], _kind(row[2])) for row in rows]

    async def batches(
        self, table: str, names: Sequence[str], where: str = "", *params: Any
    ) -> AsyncIterator[list[Row]]:
        query = f"SELECT {', '.join(names)} FROM {table} {where.replace('$1', '?')}"
        cursor = self.db.execute(query, params)
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch

    async def count(self, table: str, where: str = "", *params: Any) -> int:
        query = f"SELECT count(*) FROM {table} {where.replace('$1', '?')}"
        return int(self.db.execute(query, params).fetchone()[0])

    async def insert(self, table: str, names: Sequence[str], rows: list[Row]) -> None:
        marks = ", ".join("?" for _ in names)
        self.db.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)

    async def clear(self, table: str) -> None:
        self.db.execute(f"DELETE FROM {table}")

    async def unindex(self, table: str) -> None:
        # Its FTS table is kept by triggers, which a copy cannot leave out.
        pass

    async def finish(self) -> None:
        # AUTOINCREMENT's counter follows the largest seq inserted by itself.
        pass

    async def commit(self) -> None:
        self.db.execute("COMMIT")

    async def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()

    def time(self, moment: datetime) -> str:
        # As the store writes it (sqlite.py): fixed width, so text order is time order.
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def boolean(self, value: Any) -> int:
        return int(value)


class _Postgres(_Side):
    engine = "postgresql"

    def __init__(self, connection: asyncpg.Connection, transaction: Any) -> None:
        self.connection = connection
        self.transaction = transaction
        self.indexes: list[str] = []

    @classmethod
    async def open(cls, url: str, *, write: bool) -> "_Postgres":
        connection = await asyncpg.connect(url)
        try:
            if write:
                transaction = connection.transaction()
                await transaction.start()
                # No other writer while the copy runs, and no reader sees it before it is whole.
                tables = ", ".join((*TABLES, SECRETS))
                await connection.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
            else:
                transaction = connection.transaction(isolation="repeatable_read", readonly=True)
                await transaction.start()
        except BaseException:
            await connection.close()
            raise
        return cls(connection, transaction)

    async def tables(self) -> set[str]:
        rows = await self.connection.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name != 'alembic_version'"
        )
        return {row[0] for row in rows}

    async def columns(self, table: str) -> list[tuple[str, Kind]]:
        rows = await self.connection.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1"
            " ORDER BY ordinal_position",
            table,
        )
        return [(row[0], _kind(row[1])) for row in rows]

    async def batches(
        self, table: str, names: Sequence[str], where: str = "", *params: Any
    ) -> AsyncIterator[list[Row]]:
        query = f"SELECT {', '.join(names)} FROM {table} {where}"
        batch: list[Row] = []
        async for record in self.connection.cursor(query, *params, prefetch=BATCH_ROWS):
            batch.append(tuple(record))
            if len(batch) == BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch

    async def count(self, table: str, where: str = "", *params: Any) -> int:
        return int(await self.connection.fetchval(f"SELECT count(*) FROM {table} {where}", *params))

    async def insert(self, table: str, names: Sequence[str], rows: list[Row]) -> None:
        await self.connection.copy_records_to_table(table, records=rows, columns=list(names))

    async def unindex(self, table: str) -> None:
        """Drops the table's indexes but its constraints' (kept for finish to make again): one
        build of each over every row costs a fraction of keeping it current row by row (the
        trigram index most). The transaction's lock keeps everyone else out meanwhile."""
        found = await self.connection.fetch(
            "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index"
            " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
            " WHERE pg_index.indrelid = $1::regclass"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = index.oid)",
            table,
        )
        for name, definition in found:
            await self.connection.execute(f'DROP INDEX "{name}"')
            self.indexes.append(definition)

    async def clear(self, table: str) -> None:
        await self.connection.execute(f"DELETE FROM {table}")

    async def finish(self) -> None:
        for definition in self.indexes:
            await self.connection.execute(definition)
        # Rows were given their seq; the next conversation created takes the one after.
        await self.connection.execute(
            "SELECT setval(pg_get_serial_sequence('conversations', 'seq'),"
            " COALESCE(max(seq), 0) + 1, false) FROM conversations"
        )

    async def commit(self) -> None:
        await self.transaction.commit()

    async def close(self) -> None:
        try:
            if not self.connection.is_closed():
                await self.transaction.rollback()
        except asyncpg.InterfaceError:  # committed already
            pass
        finally:
            await self.connection.close()

    def time(self, moment: datetime) -> datetime:
        return moment

    def boolean(self, value: Any) -> bool:
        return bool(value)


async def _open(database_url: str, *, write: bool) -> _Sqlite | _Postgres:
    url = DatabaseUrl.parse(database_url)
    if url.engine == "sqlite":
        return _Sqlite(url.sqlite_path, write=write)
    return await _Postgres.open(url.url, write=write)


def check(source_url: str, target_url: str, *, command_name: str) -> None:
    """Raises CopyRefused (or migrate's refusals) unless both URLs name databases at this
    release's revision, and different ones."""
    source, target = DatabaseUrl.parse(source_url), DatabaseUrl.parse(target_url)
    if source == target:
        raise CopyRefused("--from and --to name the same database")
    migrate.require_current(source_url, command_name=command_name)
    current, head = migrate.current_revision(target_url), migrate.head_revision()
    if current != head:
        raise CopyRefused(
            f"The target {shown(target_url)} is at revision {current or 'none'}, and the copy"
            f" needs {head}; migrate it with this release first: {command_name} migrate"
            f" --database-url {shown(target_url)}"
        )


async def copy(source_url: str, target_url: str, *, progress: Progress | None = None) -> Figures:
    """Copies every row of source_url into target_url (both checked with `check` first) in one
    target transaction; returns the figures, source and target matching. Raises CopyRefused
    for a target that holds data, CopyFailed for anything else, writing nothing."""
    progress = progress or _Quiet()
    started = time.monotonic()
    figures = Figures()
    try:
        source = await _open(source_url, write=False)
    except (sqlite3.Error, OSError, asyncpg.PostgresError) as error:
        raise CopyFailed(f"Cannot read {shown(source_url)}: {_reason(error)}") from error
    try:
        try:
            target = await _open(target_url, write=True)
        except (sqlite3.Error, OSError, asyncpg.PostgresError) as error:
            raise CopyFailed(f"Cannot write {shown(target_url)}: {_reason(error)}") from error
        try:
            await _copy(source, target, figures, progress, target_url)
            await target.commit()
        except (sqlite3.Error, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise CopyFailed(
                f"The copy to {shown(target_url)} failed and wrote nothing: {_reason(error)}"
            ) from error
        finally:
            await target.close()
    finally:
        await source.close()
    figures.seconds = time.monotonic() - started
    return figures


async def _copy(
    source: _Side, target: _Sqlite | _Postgres, figures: Figures, progress: Progress, url: str
) -> None:
    known = {*TABLES, SECRETS}
    for side, name in ((source, "source"), (target, "target")):
        found = await side.tables()
        if found != known:
            raise CopyRefused(
                f"The {name} holds tables this release does not copy or lacks some:"
                f" {', '.join(sorted(found ^ known))}"
            )
    for table in TABLES:
        if await target.count(table):
            raise CopyRefused(
                f"The target {shown(url)} is not empty ({table} holds rows); copy only into a"
                " new, migrated database"
            )
    now = datetime.now(UTC)
    for table in (*TABLES, SECRETS):
        columns = await source.columns(table)
        if columns != await target.columns(table):
            raise CopyRefused(f"The two databases' {table} differ in their columns")
        names = [name for name, _ in columns]
        kinds = [kind for _, kind in columns]
        # Expired idempotency records answer nothing any more: left behind.
        where, params = "", []
        if table == "idempotency_keys":
            where, params = "WHERE expires_at > $1", [source.time(now)]
        progress.table(table, await source.count(table, where, *params))
        read = figures.source[table] = Tally()
        if table == SECRETS:
            await target.clear(table)
        else:
            await target.unindex(table)
        async for batch in source.batches(table, names, where, *params):
            stored = []
            for row in batch:
                read.add(tuple(map(_normalized, row, kinds)))
                stored.append(tuple(map(target.stored, row, kinds)))
            await target.insert(table, names, stored)
            progress.advance(len(batch))
        written = figures.target[table] = Tally()
        async for batch in target.batches(table, names):
            for row in batch:
                written.add(tuple(map(_normalized, row, kinds)))
        if written != read:
            raise CopyFailed(
                f"{table} does not verify: {read.rows} rows read (checksum {read.checksum:016x}),"
                f" {written.rows} written (checksum {written.checksum:016x})"
            )
    await target.finish()


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
