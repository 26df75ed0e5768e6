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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg

from . import migrate
from .copy_sides import Kind, PostgresSide, Row, Side, SqliteSide, open_side
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
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


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
        source = await open_side(source_url)
    except (sqlite3.Error, OSError, asyncpg.PostgresError) as error:
        raise CopyFailed(f"Cannot read {shown(source_url)}: {_reason(error)}") from error
    try:
        try:
            target = await open_side(target_url, writing=(*TABLES, SECRETS))
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
    source: Side, target: SqliteSide | PostgresSide, figures: Figures, progress: Progress, url: str
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
