"""PostgreSQL storage through asyncpg, for several server replicas on one database.

Every call borrows a pooled connection for one statement or one short transaction. When the
database cannot be reached, calls fail within a few seconds with DatabaseUnavailable (a 503 to
the client) instead of hanging; the pool reconnects by itself once the database is back.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from generated.models import Conversation

from . import (
    CursorNotFound,
    DatabaseUnavailable,
    KeyListing,
    KeyOwner,
    NewConversation,
    Page,
    Versioned,
    Versions,
    like_pattern,
)

ACQUIRE_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 2.0
STATEMENT_TIMEOUT_S = 5.0

_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)

_COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at, version"
)
_INSERT = (
    "INSERT INTO conversations (id, organization_id, agent_id, is_default, summary,"
    " created_at, created_by_id, updated_at, last_updated_by_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7)"
)
_SELECT_DEFAULT = (
    f"SELECT {_COLUMNS} FROM conversations"
    " WHERE agent_id = $1 AND organization_id = $2 AND is_default AND deleted_at IS NULL"
)
_UPDATE = (
    "UPDATE conversations SET summary = CASE WHEN $1 THEN $2 ELSE summary END,"
    " updated_at = $3, last_updated_by_id = $4, version = version + 1"
    " WHERE id = $5 AND organization_id = $6 AND deleted_at IS NULL"
    " AND ($7::bigint[] IS NULL OR version = ANY($7::bigint[]))"
    f" RETURNING {_COLUMNS}"
)
_SOFT_DELETE = (
    "UPDATE conversations SET deleted_at = $1"
    " WHERE id = $2 AND organization_id = $3 AND deleted_at IS NULL"
    " AND ($4::bigint[] IS NULL OR version = ANY($4::bigint[]))"
    f" RETURNING {_COLUMNS}"
)


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Pool reset without a round trip.

    asyncpg rolls back an open transaction before calling this; the default reset would then
    send `RESET ALL; UNLISTEN *; CLOSE ALL; ...` on every release. Nothing in this module sets
    session state (no SET, LISTEN, advisory lock or cursor outside a transaction), so that
    statement, a second round trip per call, buys nothing.
    """


def _to_versioned(row: asyncpg.Record) -> Versioned:
    # Rows were written by this module, so they skip validation.
    conversation = Conversation.model_construct(
        id=row["id"],
        agent_id=row["agent_id"],
        created_at=row["created_at"],
        created_by_id=row["created_by_id"],
        in_context_message_ids=json.loads(row["in_context_message_ids"]),
        isolated_block_ids=json.loads(row["isolated_block_ids"]),
        last_updated_by_id=row["last_updated_by_id"],
        summary=row["summary"],
        updated_at=row["updated_at"],
    )
    return Versioned(conversation, row["version"])


def _maybe(row: asyncpg.Record | None) -> Versioned | None:
    return None if row is None else _to_versioned(row)


def _versions(if_version: Versions | None) -> list[int] | None:
    return None if if_version is None else sorted(if_version)


def _insert_args(new: NewConversation, *, is_default: bool) -> Sequence[object]:
    return (
        new.id,
        new.organization_id,
        new.agent_id,
        is_default,
        new.summary,
        new.created_at,
        new.created_by_id,
    )


class PostgresStore:
    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        # min_size=0: start even while the database is down; readiness says so until it is up.
        self._pool = await asyncpg.create_pool(
            self._url,
            min_size=0,
            max_size=10,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=STATEMENT_TIMEOUT_S,
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is None:
            raise RuntimeError("PostgresStore used before open()")
        try:
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as connection:
                yield connection
        except _UNAVAILABLE as error:
            raise DatabaseUnavailable(f"{type(error).__name__}: {error}") from error

    async def _fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        async with self._connection() as connection:
            return await connection.fetchrow(sql, *args)

    async def ping(self) -> None:
        await self._fetchrow("SELECT 1")

    async def insert(self, new: NewConversation) -> Versioned:
        row = await self._fetchrow(
            f"{_INSERT} RETURNING {_COLUMNS}", *_insert_args(new, is_default=False)
        )
        assert row is not None
        return _to_versioned(row)

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None:
        return _maybe(
            await self._fetchrow(
                f"SELECT {_COLUMNS} FROM conversations"
                " WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL",
                conversation_id,
                organization_id,
            )
        )

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        return _maybe(await self._fetchrow(_SELECT_DEFAULT, agent_id, organization_id))

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        # The partial unique index lets one live default exist per agent: a racing replica's
        # insert waits for ours, then does nothing, and both read the same row.
        async with self._connection() as connection:
            await connection.execute(
                f"{_INSERT} ON CONFLICT DO NOTHING", *_insert_args(new, is_default=True)
            )
            row = await connection.fetchrow(_SELECT_DEFAULT, new.agent_id, new.organization_id)
        assert row is not None
        return _to_versioned(row)

    async def update(
        self,
        organization_id: str,
        conversation_id: str,
        *,
        summary: str | None,
        set_summary: bool,
        updated_at: datetime,
        updated_by_id: str,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        return _maybe(
            await self._fetchrow(
                _UPDATE,
                set_summary,
                summary,
                updated_at,
                updated_by_id,
                conversation_id,
                organization_id,
                _versions(if_version),
            )
        )

    async def soft_delete(
        self,
        organization_id: str,
        conversation_id: str,
        deleted_at: datetime,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        return _maybe(
            await self._fetchrow(
                _SOFT_DELETE, deleted_at, conversation_id, organization_id, _versions(if_version)
            )
        )

    async def list_page(self, page: Page) -> list[Conversation]:
        where = ["organization_id = $1", "deleted_at IS NULL"]
        args: list[object] = [page.organization_id]

        def arg(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        async with self._connection() as connection:
            if page.agent_id is not None:
                where.append(f"agent_id = {arg(page.agent_id)}")
            if page.after is not None:
                # Deleted rows still anchor a cursor: pages stay put while others delete.
                seq = await connection.fetchval(
                    "SELECT seq FROM conversations WHERE id = $1 AND organization_id = $2",
                    page.after,
                    page.organization_id,
                )
                if seq is None:
                    raise CursorNotFound(page.after)
                where.append(f"seq {'<' if page.order == 'desc' else '>'} {arg(seq)}")
            if page.summary_search is not None:
                where.append(f"summary ILIKE {arg(like_pattern(page.summary_search))}")
            direction = "DESC" if page.order == "desc" else "ASC"
            rows = await connection.fetch(
                f"SELECT {_COLUMNS} FROM conversations WHERE {' AND '.join(where)}"
                f" ORDER BY seq {direction} LIMIT {arg(page.limit)}",
                *args,
            )
        return [_to_versioned(row).conversation for row in rows]

    async def insert_key(
        self,
        *,
        key_id: str,
        secret_hash: str,
        organization_name: str,
        user_name: str,
        new_organization_id: str,
        new_user_id: str,
        created_at: datetime,
        only_if_first: bool = False,
    ) -> bool:
        async with self._connection() as connection, connection.transaction():
            if only_if_first:
                # A mode that conflicts with itself: concurrent first-key checks take turns.
                await connection.execute("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE")
                if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM api_keys)"):
                    return False
            await connection.execute(
                "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (name) DO NOTHING",
                new_organization_id,
                organization_name,
                created_at,
            )
            organization_id = await connection.fetchval(
                "SELECT id FROM organizations WHERE name = $1", organization_name
            )
            await connection.execute(
                "INSERT INTO users (id, organization_id, name, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id, name) DO NOTHING",
                new_user_id,
                organization_id,
                user_name,
                created_at,
            )
            user_id = await connection.fetchval(
                "SELECT id FROM users WHERE organization_id = $1 AND name = $2",
                organization_id,
                user_name,
            )
            await connection.execute(
                "INSERT INTO api_keys (id, user_id, secret_hash, created_at)"
                " VALUES ($1, $2, $3, $4)",
                key_id,
                user_id,
                secret_hash,
                created_at,
            )
        return True

    async def key_owner(self, key_id: str) -> KeyOwner | None:
        row = await self._fetchrow(
            "SELECT k.id, k.secret_hash, k.revoked_at, u.id AS user_id, u.organization_id"
            " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
            key_id,
        )
        if row is None:
            return None
        return KeyOwner(
            key_id=row["id"],
            secret_hash=row["secret_hash"],
            user_id=row["user_id"],
            organization_id=row["organization_id"],
            revoked=row["revoked_at"] is not None,
        )

    async def list_keys(self) -> list[KeyListing]:
        async with self._connection() as connection:
            rows = await connection.fetch(
                "SELECT k.id, o.name AS organization_name, u.name AS user_name, k.created_at,"
                " k.revoked_at FROM api_keys k JOIN users u ON u.id = k.user_id"
                " JOIN organizations o ON o.id = u.organization_id ORDER BY k.created_at, k.id"
            )
        return [
            KeyListing(
                key_id=row["id"],
                organization_name=row["organization_name"],
                user_name=row["user_name"],
                created_at=row["created_at"],
                revoked_at=row["revoked_at"],
            )
            for row in rows
        ]

    async def revoke_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        async with self._connection() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT revoked_at FROM api_keys WHERE id = $1 FOR UPDATE", key_id
            )
            if row is None:
                return None
            if row["revoked_at"] is not None:
                return False
            await connection.execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2", revoked_at, key_id
            )
            return True
