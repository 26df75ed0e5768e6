"""PostgreSQL through asyncpg, for several server replicas on one database: what differs from
SQLite.

Every call borrows a pooled connection for one statement or one short transaction. When the
database cannot be reached, calls fail within a few seconds with StorageUnavailable (a 503 to
the client) instead of hanging; the pool reconnects by itself once the database is back. Every
statement runs under the statement budget (the session's statement_timeout): past it the
server ends it, and the call fails with OverBudget (a 503), its transaction rolled back. One
organization's list pages hold at most `lists` connections of the pool at once (shares.py).
"""

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from server_impl.domain.errors import OverBudget, StorageUnavailable
from server_impl.domain.versions import Versions

from .shares import OrganizationShares
from .sql import Dialect, Params, Query, Row
from .store import SqlStore
from .tuning import DEFAULTS, Tuning

COMMAND_GRACE_S = 1.0
"""How long past the budget asyncpg waits for an answer before giving the connection up: the
server's statement_timeout ends a slow statement first; this ends a lost connection."""

POSTGRES = Dialect(
    version_in="version = ANY(CAST(:versions AS bigint[]))",
    contains="summary ILIKE :pattern",
    lock_row=" FOR UPDATE",
    greatest="GREATEST",
    # The expression of migration 0005's indexes. asyncpg reads '-infinity' as datetime.min
    # and writes it back as '-infinity', so a cursor's key round-trips unchanged.
    last_message_key="COALESCE(last_message_at, '-infinity'::timestamptz)",
    # Purges racing each other (or a claim of an expired key) each take other rows, so they
    # neither wait for nor deadlock with one another.
    skip_locked=" FOR UPDATE SKIP LOCKED",
)

_NO_LAST_MESSAGE = datetime.min.replace(tzinfo=UTC)

_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Pool reset without a round trip.

    asyncpg rolls back an open transaction before calling this; the default reset would then
    send `RESET ALL; UNLISTEN *; CLOSE ALL; ...` on every release. Nothing in this module sets
    session state (no SET, LISTEN, advisory lock or cursor outside a transaction), so that
    statement, a second round trip per call, buys nothing.
    """


class _Session:
    """Statements on one pooled connection."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def one(self, query: Query, params: Params) -> Row | None:
        return await self._connection.fetchrow(query.numbered, *query.numbered_args(params))

    async def all(self, query: Query, params: Params) -> Sequence[Row]:
        if query.replan:
            # A statement prepared for this call alone, so planned for its values: after five
            # calls of a cached one, PostgreSQL may keep a generic plan, which for a search
            # cannot tell a rare term (read the trigram index) from a common one (walk the
            # page's order), and took 240 ms for the one at 10^6 rows (bench/search.py).
            statement = await self._connection.prepare(query.numbered)
            found: list[Row] = await statement.fetch(*query.numbered_args(params))
            return found
        rows: list[Row] = await self._connection.fetch(query.numbered, *query.numbered_args(params))
        return rows

    async def run(self, query: Query, params: Params) -> None:
        await self._connection.execute(query.numbered, *query.numbered_args(params))


class PostgresStore(SqlStore):
    dialect = POSTGRES

    def __init__(self, database_url: str, tuning: Tuning = DEFAULTS) -> None:
        self.lists = OrganizationShares(tuning.lists_per_organization)
        self.scans = OrganizationShares(tuning.scans_per_organization)
        self._url = database_url
        self._tuning = tuning
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        # min_size=0: start even while the database is down; readiness says so until it is up.
        tuning = self._tuning
        budget_s = tuning.statement_budget_s
        self._pool = await asyncpg.create_pool(
            self._url,
            min_size=0,
            max_size=tuning.postgres_pool_size,
            timeout=tuning.postgres_connect_timeout_s,
            command_timeout=budget_s + COMMAND_GRACE_S,
            reset=_keep_session,
            # Sent with the connection's startup: a budget on every statement for no round trip.
            server_settings={"statement_timeout": str(math.ceil(budget_s * 1000))},
        )

    def pool_use(self) -> tuple[int, int] | None:
        """(connections open, connections in use), None before open."""
        pool = self._pool
        if pool is None:
            return None
        size = pool.get_size()
        return size, size - pool.get_idle_size()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        pool = self._pool
        if pool is None:
            raise StorageUnavailable("the PostgreSQL pool is not open")
        try:
            # Not acquire(timeout=...): asyncpg meets that with wait_for, which runs each
            # acquisition as a task of its own (a tenth of a retrieve's time, in py-spy).
            async with asyncio.timeout(self._tuning.postgres_acquire_timeout_s):
                connection = await pool.acquire()
            try:
                yield connection
            finally:
                await pool.release(connection)
        except asyncpg.QueryCanceledError as error:
            # statement_timeout (an OperatorInterventionError too): the statement, and the
            # transaction it was in, changed nothing.
            raise OverBudget(self._tuning.statement_budget_s) from error
        except _UNAVAILABLE as error:
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error

    async def ping(self) -> None:
        async with self._acquire() as connection:
            await connection.fetchval("SELECT 1")

    async def _one(self, query: Query, params: Params) -> Row | None:
        # The hot path (every key check, retrieve and update): no session per call.
        async with self._acquire() as connection:
            return await connection.fetchrow(query.numbered, *query.numbered_args(params))

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Session]:
        async with self._acquire() as connection:
            yield _Session(connection)

    @asynccontextmanager
    async def _transaction(self, *, lock_api_keys: bool = False) -> AsyncIterator[_Session]:
        async with self._acquire() as connection, connection.transaction():
            if lock_api_keys:
                # A mode that conflicts with itself: concurrent first-key checks take turns.
                await connection.execute("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE")
            yield _Session(connection)

    def _time(self, moment: datetime) -> datetime:
        return moment

    def _read_time(self, stored: datetime) -> datetime:
        return stored

    def _last_message_key(self, moment: datetime | None) -> datetime:
        # asyncpg writes datetime.min (as UTC) as '-infinity', the key of none.
        return _NO_LAST_MESSAGE if moment is None else moment

    def _versions(self, versions: Versions) -> list[int]:
        return sorted(versions)
