"""The SQL and key check of the lean peers of `make bench` (bench/litestar_peer.py and
bench/fastapi_lean_peer.py): what an engineer serving this API in another framework would
write in place of this project's storage layer, written once since it is not what they compare.

Direct SQL on this project's schema, through sqlite3 (one connection, called inline on the
event loop) or an asyncpg pool, chosen by `CONVERSATIONS_DATABASE_URL` as the server does. A key
(``lck_<key id>_<secret>``, see server_impl/domain/keys.py) is checked with one lookup by its
id: not revoked, and the SHA-256 of its secret compared in constant time with the stored hash.
Rows come back as plain dicts of Python values, which each peer answers with its own models.
"""

import functools
import hashlib
import hmac
import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

Row = dict[str, Any]
KEY_PREFIX, KEY_ID_LENGTH = "lck", 16
CONVERSATION_ID_PATTERN = (
    r"^conv-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
# The constraints openapi.yaml puts on the fields of an update (ConversationUpdate).
TEXT_MAX_LENGTH = 10_000
NO_NUL = r"^[^\x00]*$"
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*/[\x21-\x7E]+$"
MODEL_MIN_LENGTH, MODEL_MAX_LENGTH = 3, 256
CONTEXT_WINDOW_MAX = 100_000_000
FIRST_YEAR, LAST_YEAR = 2, 9998  # of last_message_at as given, whatever its offset
PROVIDER_TYPES = frozenset(
    {
        "openai",
        "sglang",
        "anthropic",
        "google_ai",
        "google_vertex",
        "azure",
        "xai",
        "moonshot",
        "zai",
        "moonshot_coding",
        "groq",
        "deepseek",
        "together",
        "bedrock",
        "baseten",
        "openrouter",
        "chatgpt_oauth",
    }
)
# The fields an update sets as given: merge-patch, None clears.
PLAIN_FIELDS = (
    "summary",
    "description",
    "model",
    "context_window_limit",
    "last_message_at",
    "model_settings",
)

_COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at, version, description, model,"
    " context_window_limit, last_message_at, archived_at, model_settings"
)
_LIVE = "id = {0} AND organization_id = {1} AND deleted_at IS NULL"
# As this server writes ETags: no leading zeros.
_STRONG_TAG = re.compile(r'"(0|[1-9][0-9]{0,17})"')
_KEY_OWNER = (
    "SELECT k.secret_hash, k.revoked_at, u.id AS user_id, u.organization_id"
    " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = {0}"
)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str
    organization_id: str


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_versions(header: str | None) -> list[int] | None:
    """The versions an If-Match header accepts: None for any (no header, or ``*``); strong tags
    only, as this server compares them, so weak or foreign tags accept none."""
    if header is None or header.strip() == "*":
        return None
    return [int(m[1]) for tag in header.split(",") if (m := _STRONG_TAG.fullmatch(tag.strip()))]


def _key_parts(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, key = (authorization or "").partition(" ")
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if scheme.lower() != "bearer" or prefix != KEY_PREFIX or len(key_id) != KEY_ID_LENGTH:
        return None
    return (key_id, secret) if secret else None


def _owner(row: Mapping[str, Any] | None, secret: str) -> Actor | None:
    if row is None or row["revoked_at"] is not None:
        return None
    presented = hashlib.sha256(secret.encode()).hexdigest()
    if not hmac.compare_digest(row["secret_hash"], presented):
        return None
    return Actor(row["user_id"], row["organization_id"])


@functools.cache
def _update_sql(
    mark: Callable[[int], str],
    greatest: str,
    fields: tuple[str, ...],
    archive: bool | None,
    versions: int | None,
) -> str:
    """An update of the given fields; `versions` is how many If-Match accepts (None: any)."""
    sets = [f"{name} = {mark(n)}" for n, name in enumerate(fields, start=4)]
    at = len(fields) + 4
    if archive:  # an earlier archived_at is kept
        sets.append(f"archived_at = COALESCE(archived_at, {mark(1)})")
    elif archive is not None:
        sets.append("archived_at = NULL")
    sets += [
        f"last_updated_by_id = {mark(2)}",
        "version = version + 1",
        # Never back in time, should a racing writer have read its clock first.
        f"updated_at = {greatest}({mark(1)}, updated_at)",
    ]
    where = _LIVE.format(mark(3), mark(at))
    if versions is not None:
        where += f" AND version IN ({', '.join(mark(at + 1 + n) for n in range(versions))})"
    return f"UPDATE conversations SET {', '.join(sets)} WHERE {where} RETURNING {_COLUMNS}"


class Connection(ABC):
    """One request's statements. A class, not a Protocol: frameworks check a dependency's
    value with isinstance."""

    @abstractmethod
    async def actor(self, authorization: str | None) -> Actor | None:
        """Who a request's Authorization header acts as; None for no valid, live key."""

    @abstractmethod
    async def get(self, organization_id: str, conversation_id: str) -> Row | None: ...

    @abstractmethod
    async def update(
        self,
        actor: Actor,
        conversation_id: str,
        fields: Mapping[str, object],
        archive: bool | None,
        versions: list[int] | None,
    ) -> Row | None:
        """Sets fields (each of PLAIN_FIELDS given) and archives (True), unarchives (False) or
        neither (None); only at one of versions, unless None. None when no live row of the
        actor's organization has the id (and one of versions)."""


def _answer(row: Mapping[str, Any], read_time: Callable[[Any], datetime]) -> Row:
    """The row as the API answers it, but for version (the ETag)."""
    answer = dict(row)
    for name in ("created_at", "updated_at", "last_message_at", "archived_at"):
        if answer[name] is not None:
            answer[name] = read_time(answer[name])
    answer["archived"] = answer["archived_at"] is not None
    answer["in_context_message_ids"] = json.loads(answer["in_context_message_ids"])
    answer["isolated_block_ids"] = json.loads(answer["isolated_block_ids"])
    if answer["model_settings"] is not None:
        answer["model_settings"] = json.loads(answer["model_settings"])
    return answer


def _stored(value: object, time: Callable[[datetime], object]) -> object:
    if isinstance(value, datetime):
        return time(value.astimezone(UTC))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


class SqliteConnection(Connection):
    """The process's one connection, in autocommit: each statement commits on its own."""

    def __init__(self, path: str) -> None:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 5000")
        self._db = db
        self._get = f"SELECT {_COLUMNS} FROM conversations WHERE {_LIVE.format('?', '?')}"
        self._key_owner = _KEY_OWNER.format("?")

    def close(self) -> None:
        self._db.close()

    async def actor(self, authorization: str | None) -> Actor | None:
        parts = _key_parts(authorization)
        if parts is None:
            return None
        return _owner(self._db.execute(self._key_owner, (parts[0],)).fetchone(), parts[1])

    async def get(self, organization_id: str, conversation_id: str) -> Row | None:
        row = self._db.execute(self._get, (conversation_id, organization_id)).fetchone()
        return None if row is None else _answer(row, datetime.fromisoformat)

    async def update(
        self,
        actor: Actor,
        conversation_id: str,
        fields: Mapping[str, object],
        archive: bool | None,
        versions: list[int] | None,
    ) -> Row | None:
        if versions == []:
            return None
        sql = _update_sql(
            _qmark, "max", tuple(fields), archive, None if versions is None else len(versions)
        )
        now = _sqlite_time(datetime.now(UTC))
        values = [_stored(value, _sqlite_time) for value in fields.values()]
        # Positional: ?1 is the time, ?2 the user, ?3 the id, then the fields and the rest.
        params = [now, actor.user_id, conversation_id, *values, actor.organization_id]
        row = self._db.execute(sql, [*params, *(versions or ())]).fetchone()
        return None if row is None else _answer(row, datetime.fromisoformat)


def _qmark(n: int) -> str:
    return f"?{n}"


def _sqlite_time(moment: datetime) -> str:
    # As this project stores times in SQLite: fixed-width text, so text order is time order.
    return moment.isoformat(timespec="microseconds")


def _numbered(n: int) -> str:
    return f"${n}"


def _as_is(moment: datetime) -> datetime:
    return moment


class PostgresConnection(Connection):
    """A connection borrowed from the pool for one request."""

    _get = f"SELECT {_COLUMNS} FROM conversations WHERE {_LIVE.format('$1', '$2')}"
    _key_owner = _KEY_OWNER.format("$1")

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def actor(self, authorization: str | None) -> Actor | None:
        parts = _key_parts(authorization)
        if parts is None:
            return None
        return _owner(await self._connection.fetchrow(self._key_owner, parts[0]), parts[1])

    async def get(self, organization_id: str, conversation_id: str) -> Row | None:
        row = await self._connection.fetchrow(self._get, conversation_id, organization_id)
        return None if row is None else _answer(row, _as_is)

    async def update(
        self,
        actor: Actor,
        conversation_id: str,
        fields: Mapping[str, object],
        archive: bool | None,
        versions: list[int] | None,
    ) -> Row | None:
        if versions == []:
            return None
        sql = _update_sql(
            _numbered,
            "GREATEST",
            tuple(fields),
            archive,
            None if versions is None else len(versions),
        )
        values = [_stored(value, _as_is) for value in fields.values()]
        row = await self._connection.fetchrow(
            sql,
            datetime.now(UTC),
            actor.user_id,
            conversation_id,
            *values,
            actor.organization_id,
            *(versions or ()),
        )
        return None if row is None else _answer(row, _as_is)


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Nothing here sets session state, so the pool's default reset on release (a second round
    trip per request) buys nothing; this server skips it too (server_impl/storage/postgres.py)."""


class Database:
    """The peer's database, opened at startup: `connection()` lends one per request."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._sqlite: SqliteConnection | None = None
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._url.startswith("sqlite:///"):
            self._sqlite = SqliteConnection(self._url.removeprefix("sqlite:///"))
        else:
            self._pool = await asyncpg.create_pool(self._url, max_size=10, reset=_no_reset)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pool is not None:
            await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            assert self._sqlite is not None, "open() first"
            yield self._sqlite
        else:
            async with self._pool.acquire() as connection:
                yield PostgresConnection(connection)
