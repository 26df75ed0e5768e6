"""One database on either side of a copy (copy.py), in one transaction, on either engine: its
tables and their columns, its rows read in batches and written, and each value as its engine
stores it."""

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg

from .urls import DatabaseUrl

BATCH_ROWS = 5_000
"""Rows read, and written, at a time: never the whole database in memory."""
Kind = Literal["time", "bool", "plain"]
Row = tuple[Any, ...]


def kind_of(declared: str) -> Kind:
    declared = declared.lower()
    if "timestamp" in declared or "datetime" in declared:
        return "time"
    return "bool" if "bool" in declared else "plain"


class Side(ABC):
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


class SqliteSide(Side):
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
        return [(row[1], kind_of(row[2])) for row in rows]

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


class PostgresSide(Side):
    engine = "postgresql"

    def __init__(self, connection: asyncpg.Connection, transaction: Any) -> None:
        self.connection = connection
        self.transaction = transaction
        self.indexes: list[str] = []

    @classmethod
    async def open(cls, url: str, *, writing: Sequence[str]) -> "PostgresSide":
        connection = await asyncpg.connect(url)
        try:
            if writing:
                transaction = connection.transaction()
                await transaction.start()
                # No other writer while the copy runs, and no reader sees it before it is whole.
                await connection.execute(f"LOCK TABLE {', '.join(writing)} IN EXCLUSIVE MODE")
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
        return [(row[0], kind_of(row[1])) for row in rows]

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


async def open_side(database_url: str, *, writing: Sequence[str] = ()) -> SqliteSide | PostgresSide:
    """The database, read only; or, given the tables the copy writes, written, those tables
    locked against every other writer (SQLite: the whole file)."""
    url = DatabaseUrl.parse(database_url)
    if url.engine == "sqlite":
        return SqliteSide(url.sqlite_path, write=bool(writing))
    return await PostgresSide.open(url.url, writing=writing)
