"""SQLite storage, the embedded default. The schema comes from the migrations (schema.py).

Calls run inline on the event loop: each is an indexed lookup of microseconds, cheaper than a
hop to a worker thread, and running them on one thread serializes this process's writers, so
they never wait on each other for SQLite's lock. Other processes on the same file wait up to
the busy timeout, then get a 503.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

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

_COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at, version"
)
_LIVE = "organization_id = ? AND deleted_at IS NULL"
_INSERT = (
    "INSERT INTO conversations (id, organization_id, agent_id, is_default, summary,"
    " created_at, created_by_id, updated_at, last_updated_by_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_DEFAULT = (
    f"SELECT {_COLUMNS} FROM conversations WHERE agent_id = ? AND is_default AND {_LIVE}"
)


def _to_versioned(row: sqlite3.Row) -> Versioned:
    # Rows were written by this module, so they skip validation.
    conversation = Conversation.model_construct(
        id=row["id"],
        agent_id=row["agent_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        created_by_id=row["created_by_id"],
        in_context_message_ids=json.loads(row["in_context_message_ids"]),
        isolated_block_ids=json.loads(row["isolated_block_ids"]),
        last_updated_by_id=row["last_updated_by_id"],
        summary=row["summary"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )
    return Versioned(conversation, row["version"])


def _timestamp(moment: datetime) -> str:
    # Fixed width, so text order is time order.
    return moment.isoformat(timespec="microseconds")


def _optional_time(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp)


def _version_condition(if_version: Versions | None) -> tuple[str, list[int]]:
    if if_version is None:
        return "", []
    if not if_version:
        return " AND 0", []
    return f" AND version IN ({', '.join('?' * len(if_version))})", list(sorted(if_version))


@contextmanager
def _unavailable_when_busy() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseUnavailable(str(error)) from error
        raise


class SqliteStore:
    def __init__(self, path: str) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("SqliteStore used before open()")
        return self._db

    async def open(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL loses nothing when the process dies, only on power loss.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA foreign_keys = ON")
        self._db = db

    async def ping(self) -> None:
        with _unavailable_when_busy():
            self.db.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with _unavailable_when_busy():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _one(self, sql: str, params: tuple[object, ...] | list[object]) -> Versioned | None:
        with _unavailable_when_busy():
            row = self.db.execute(sql, params).fetchone()
        return None if row is None else _to_versioned(row)

    def _insert_params(self, new: NewConversation, *, is_default: bool) -> tuple[object, ...]:
        created_at = _timestamp(new.created_at)
        return (
            new.id,
            new.organization_id,
            new.agent_id,
            int(is_default),
            new.summary,
            created_at,
            new.created_by_id,
            created_at,
            new.created_by_id,
        )

    async def insert(self, new: NewConversation) -> Versioned:
        inserted = self._one(
            f"{_INSERT} RETURNING {_COLUMNS}", self._insert_params(new, is_default=False)
        )
        assert inserted is not None
        return inserted

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None:
        return self._one(
            f"SELECT {_COLUMNS} FROM conversations WHERE id = ? AND {_LIVE}",
            (conversation_id, organization_id),
        )

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        return self._one(_SELECT_DEFAULT, (agent_id, organization_id))

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        # The partial unique index lets only one live default exist per agent, so a racing
        # writer's insert is a no-op and both read the same row.
        with self._transaction() as db:
            params = self._insert_params(new, is_default=True)
            db.execute(f"{_INSERT} ON CONFLICT DO NOTHING", params)
            found = self._one(_SELECT_DEFAULT, (new.agent_id, new.organization_id))
        assert found is not None
        return found

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
        condition, versions = _version_condition(if_version)
        return self._one(
            "UPDATE conversations SET"
            " summary = CASE WHEN ? THEN ? ELSE summary END,"
            " updated_at = ?, last_updated_by_id = ?, version = version + 1"
            f" WHERE id = ? AND {_LIVE}{condition} RETURNING {_COLUMNS}",
            [
                set_summary,
                summary,
                _timestamp(updated_at),
                updated_by_id,
                conversation_id,
                organization_id,
                *versions,
            ],
        )

    async def soft_delete(
        self,
        organization_id: str,
        conversation_id: str,
        deleted_at: datetime,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        condition, versions = _version_condition(if_version)
        return self._one(
            f"UPDATE conversations SET deleted_at = ? WHERE id = ? AND {_LIVE}{condition}"
            f" RETURNING {_COLUMNS}",
            [_timestamp(deleted_at), conversation_id, organization_id, *versions],
        )

    async def list_page(self, page: Page) -> list[Conversation]:
        where = [_LIVE]
        params: list[object] = [page.organization_id]
        if page.agent_id is not None:
            where.append("agent_id = ?")
            params.append(page.agent_id)
        if page.after is not None:
            # Deleted rows still anchor a cursor: pages stay put while others delete.
            row = self.db.execute(
                "SELECT seq FROM conversations WHERE id = ? AND organization_id = ?",
                (page.after, page.organization_id),
            ).fetchone()
            if row is None:
                raise CursorNotFound(page.after)
            where.append("seq < ?" if page.order == "desc" else "seq > ?")
            params.append(row["seq"])
        if page.summary_search is not None:
            where.append("summary LIKE ? ESCAPE '\\'")
            params.append(like_pattern(page.summary_search))
        direction = "DESC" if page.order == "desc" else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM conversations WHERE {' AND '.join(where)}"
            f" ORDER BY seq {direction} LIMIT ?"
        )
        params.append(page.limit)
        with _unavailable_when_busy():
            rows = self.db.execute(sql, params).fetchall()
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
        stamp = _timestamp(created_at)
        # BEGIN IMMEDIATE holds SQLite's write lock: no other writer between check and insert.
        with self._transaction() as db:
            if only_if_first and db.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone():
                return False
            db.execute(
                "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (new_organization_id, organization_name, stamp),
            )
            (organization_id,) = db.execute(
                "SELECT id FROM organizations WHERE name = ?", (organization_name,)
            ).fetchone()
            db.execute(
                "INSERT INTO users (id, organization_id, name, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (organization_id, name) DO NOTHING",
                (new_user_id, organization_id, user_name, stamp),
            )
            (user_id,) = db.execute(
                "SELECT id FROM users WHERE organization_id = ? AND name = ?",
                (organization_id, user_name),
            ).fetchone()
            db.execute(
                "INSERT INTO api_keys (id, user_id, secret_hash, created_at) VALUES (?, ?, ?, ?)",
                (key_id, user_id, secret_hash, stamp),
            )
        return True

    async def key_owner(self, key_id: str) -> KeyOwner | None:
        with _unavailable_when_busy():
            row = self.db.execute(
                "SELECT k.id, k.secret_hash, k.revoked_at, u.id AS user_id, u.organization_id"
                " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ?",
                (key_id,),
            ).fetchone()
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
        rows = self.db.execute(
            "SELECT k.id, o.name AS organization_name, u.name AS user_name, k.created_at,"
            " k.revoked_at FROM api_keys k JOIN users u ON u.id = k.user_id"
            " JOIN organizations o ON o.id = u.organization_id ORDER BY k.created_at, k.id"
        )
        return [
            KeyListing(
                key_id=row["id"],
                organization_name=row["organization_name"],
                user_name=row["user_name"],
                created_at=datetime.fromisoformat(row["created_at"]),
                revoked_at=_optional_time(row["revoked_at"]),
            )
            for row in rows
        ]

    async def revoke_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        with self._transaction() as db:
            row = db.execute("SELECT revoked_at FROM api_keys WHERE id = ?", (key_id,)).fetchone()
            if row is None:
                return None
            if row["revoked_at"] is not None:
                return False
            db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ?", (_timestamp(revoked_at), key_id)
            )
            return True
