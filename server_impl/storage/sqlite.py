"""SQLite storage, the embedded default.

Calls run inline on the event loop: each is an indexed lookup of microseconds, cheaper than a
hop to a worker thread, and running them on one thread serializes writers, so a single server
process never meets "database is locked".
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from generated.models import Conversation

from . import CursorNotFound, KeyListing, KeyOwner, NewConversation, Page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    in_context_message_ids TEXT NOT NULL DEFAULT '[]',
    isolated_block_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    created_by_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_updated_by_id TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS conversations_one_default
    ON conversations (organization_id, agent_id) WHERE is_default = 1 AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS conversations_by_organization
    ON conversations (organization_id, seq);
CREATE INDEX IF NOT EXISTS conversations_by_agent
    ON conversations (organization_id, agent_id, seq);
CREATE TABLE IF NOT EXISTS organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""

_COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at"
)
_LIVE = "organization_id = ? AND deleted_at IS NULL"

_INSERT = (
    "INSERT INTO conversations (id, organization_id, agent_id, is_default, summary,"
    " created_at, created_by_id, updated_at, last_updated_by_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_SELECT_DEFAULT = (
    f"SELECT {_COLUMNS} FROM conversations WHERE agent_id = ? AND is_default = 1 AND {_LIVE}"
)


def _to_conversation(row: sqlite3.Row) -> Conversation:
    # Rows were written by this module, so they skip validation.
    return Conversation.model_construct(
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


def _timestamp(moment: datetime) -> str:
    # Fixed width, so text order is time order.
    return moment.isoformat(timespec="microseconds")


def _optional_time(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sqlite_path(database_url: str) -> str:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix:
        raise ValueError(f"not a SQLite URL: {database_url!r} (expected sqlite:///PATH)")
    return database_url[len(prefix) :]


class SqliteStore:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL loses nothing when the process dies, only on power loss.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def from_url(cls, database_url: str) -> "SqliteStore":
        return cls(sqlite_path(database_url))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _one(self, sql: str, params: tuple[object, ...]) -> Conversation | None:
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else _to_conversation(row)

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

    async def insert(self, new: NewConversation) -> Conversation:
        conversation = self._one(
            f"{_INSERT} RETURNING {_COLUMNS}", self._insert_params(new, is_default=False)
        )
        assert conversation is not None
        return conversation

    async def get(self, organization_id: str, conversation_id: str) -> Conversation | None:
        return self._one(
            f"SELECT {_COLUMNS} FROM conversations WHERE id = ? AND {_LIVE}",
            (conversation_id, organization_id),
        )

    async def get_default(self, organization_id: str, agent_id: str) -> Conversation | None:
        return self._one(_SELECT_DEFAULT, (agent_id, organization_id))

    async def get_or_insert_default(self, new: NewConversation) -> Conversation:
        # The partial unique index lets only one live default exist per agent, so a racing
        # writer's insert is a no-op and both read the same row.
        with self._transaction() as db:
            db.execute(
                f"{_INSERT} ON CONFLICT DO NOTHING", self._insert_params(new, is_default=True)
            )
            conversation = self._one(_SELECT_DEFAULT, (new.agent_id, new.organization_id))
        assert conversation is not None
        return conversation

    async def update(
        self,
        organization_id: str,
        conversation_id: str,
        *,
        summary: str | None,
        set_summary: bool,
        updated_at: datetime,
        updated_by_id: str,
    ) -> Conversation | None:
        return self._one(
            "UPDATE conversations SET"
            " summary = CASE WHEN ? THEN ? ELSE summary END,"
            " updated_at = ?, last_updated_by_id = ?"
            f" WHERE id = ? AND {_LIVE} RETURNING {_COLUMNS}",
            (
                set_summary,
                summary,
                _timestamp(updated_at),
                updated_by_id,
                conversation_id,
                organization_id,
            ),
        )

    async def soft_delete(
        self, organization_id: str, conversation_id: str, deleted_at: datetime
    ) -> Conversation | None:
        return self._one(
            f"UPDATE conversations SET deleted_at = ? WHERE id = ? AND {_LIVE}"
            f" RETURNING {_COLUMNS}",
            (_timestamp(deleted_at), conversation_id, organization_id),
        )

    async def list_page(self, page: Page) -> list[Conversation]:
        where = [_LIVE]
        params: list[object] = [page.organization_id]
        if page.agent_id is not None:
            where.append("agent_id = ?")
            params.append(page.agent_id)
        if page.after is not None:
            # Deleted rows still anchor a cursor: pages stay put while others delete.
            row = self._db.execute(
                "SELECT seq FROM conversations WHERE id = ? AND organization_id = ?",
                (page.after, page.organization_id),
            ).fetchone()
            if row is None:
                raise CursorNotFound(page.after)
            where.append("seq < ?" if page.order == "desc" else "seq > ?")
            params.append(row["seq"])
        if page.summary_search is not None:
            where.append("summary LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(page.summary_search))
        direction = "DESC" if page.order == "desc" else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM conversations WHERE {' AND '.join(where)}"
            f" ORDER BY seq {direction} LIMIT ?"
        )
        params.append(page.limit)
        return [_to_conversation(row) for row in self._db.execute(sql, params)]

    async def count_keys(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM api_keys").fetchone()[0])

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
    ) -> None:
        stamp = _timestamp(created_at)
        with self._transaction() as db:
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

    async def key_owner(self, key_id: str) -> KeyOwner | None:
        row = self._db.execute(
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
        rows = self._db.execute(
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

    async def close(self) -> None:
        self._db.close()
