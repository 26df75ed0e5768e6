"""What both engines store and ask, written once: columns, row mapping and every query.

Queries are written with named parameters (``:name``); `Query` renders each once in the
placeholders of each driver (``?`` for sqlite3, ``$1`` for asyncpg), whose positional binding
costs less per call than binding by name. Where the engines' SQL differs, a `Dialect` says
how. `SqlStore` implements every storage operation on a few primitives that each engine module
supplies (a statement, a connection, a transaction, how times and version sets are bound), so
a new column or query is written here only.
"""

import functools
import json
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from server_impl.domain.model_settings import ConversationAsStored, JsonObject
from server_impl.domain.ports import (
    PLAIN_FIELDS,
    ArchiveStatus,
    Changes,
    ConversationFields,
    Current,
    CursorNotFound,
    KeyClaim,
    KeyHolder,
    KeyLimit,
    KeyListing,
    KeyOwner,
    Name,
    NewConversation,
    Page,
    Position,
)
from server_impl.domain.versions import Versioned, Versions

from .shares import OrganizationShares

Params = Mapping[str, object]
Row = Any
"""A result row, read by column name (sqlite3.Row, asyncpg.Record)."""

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")

COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at, version, description, model,"
    " context_window_limit, last_message_at, archived_at, model_settings"
)
_LIVE = "organization_id = :organization_id AND deleted_at IS NULL"
# The predicate of the partial unique index conversations_one_default: one per agent.
_LIVE_DEFAULT = "is_default AND deleted_at IS NULL"
_INSERT = (
    "INSERT INTO conversations (id, organization_id, agent_id, is_default, summary,"
    " description, model, context_window_limit, model_settings, hidden,"
    " created_at, created_by_id, updated_at, last_updated_by_id)"
    " VALUES (:id, :organization_id, :agent_id, :is_default, :summary,"
    " :description, :model, :context_window_limit, :model_settings, :hidden,"
    " :created_at, :created_by_id, :created_at, :created_by_id)"
)
# An idempotency key is free again once expired, or, without an answer, once its lease lapsed.
_KEY_LAPSED = (
    "(idempotency_keys.expires_at <= :now"
    " OR (idempotency_keys.answer IS NULL AND idempotency_keys.lease_until <= :now))"
)
_CLAIMED = ("fingerprint", "token", "lease_until", "expires_at", "answer", "answer_version")
_OF_KEY = "organization_id = :organization_id AND key = :key"
# What each archive_status lists; hidden conversations never are. The archived predicate is
# that of the partial indexes of migration 0004, so the planner can use them.
_ARCHIVE_FILTER: dict[ArchiveStatus, str] = {
    "unarchived": "archived_at IS NULL",
    "archived": "archived_at IS NOT NULL",
    "all": "",
}
# An update's archive: :archive true keeps an earlier archived_at, false clears it.
_ARCHIVED_AT = (
    "CASE WHEN NOT :set_archive THEN conversations.archived_at"
    " WHEN :archive THEN COALESCE(conversations.archived_at, :archived_at) END"
)


_AS_STORED = ConversationAsStored.__pydantic_validator__
_TIMES = ("created_at", "updated_at", "last_message_at", "archived_at")


def _answered(answer: str) -> ConversationAsStored:
    """A create's answer as kept for its idempotency key: parsed, not constructed, so that the
    times come back as the datetimes they were. One that this release's model refuses (kept
    under earlier rules: a model handle beyond visible ASCII, say) is replayed as kept, never a
    500."""
    try:
        return ConversationAsStored.model_validate_json(answer)
    except ValidationError:
        values = json.loads(answer)
        for name in _TIMES:
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        return ConversationAsStored.model_construct(**values)


def _json_list(text: str) -> list[Any]:
    """A stored JSON array; nearly always empty, which needs no parser."""
    return [] if text == "[]" else list(json.loads(text))


def json_text(value: JsonObject | None) -> str | None:
    """model_settings as stored: JSON text, compact, its keys in the order given. Strings are
    escaped as JSON escapes them, so U+0000, which PostgreSQL's text cannot hold, is stored as
    \\u0000."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _picker(names: Sequence[str]) -> Callable[[Params], tuple[object, ...]]:
    """Reads the named parameters, in order, into a tuple."""
    if not names:
        return lambda _params: ()
    if len(names) == 1:
        name = names[0]
        return lambda params: (params[name],)
    return operator.itemgetter(*names)


class Query:
    """One statement: its text with named parameters, rendered for each driver.

    `qmark` (sqlite3) names a parameter once per use, `numbered` (asyncpg) once per name;
    `qmark_args` and `numbered_args` read the values in their order. `replan`: the best plan
    depends on the values (a search's term), so an engine that caches plans of prepared
    statements must plan this one for each call's values.
    """

    __slots__ = ("names", "numbered", "numbered_args", "qmark", "qmark_args", "replan", "text")

    def __init__(self, text: str, *, replan: bool = False) -> None:
        self.replan = replan
        names: list[str] = []
        uses: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match[1] not in names:
                names.append(match[1])
            return f"${names.index(match[1]) + 1}"

        def qmark(match: re.Match[str]) -> str:
            uses.append(match[1])
            return "?"

        self.text = text
        self.numbered = _NAMED.sub(number, text)
        self.qmark = _NAMED.sub(qmark, text)
        self.names = tuple(names)
        self.numbered_args = _picker(names)
        self.qmark_args = _picker(uses)


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between engines."""

    version_in: str
    """True when :versions holds the row's version."""
    contains: str
    """The summary matches :pattern, a LIKE pattern escaped with backslashes (like_pattern)."""
    lock_row: str
    """Appended to a SELECT whose row the transaction goes on to change."""
    greatest: str
    """The function giving the greatest of its arguments."""
    last_message_key: str
    """last_message_at, or for none a value before every time: never NULL, so that one range
    bounds a page (the expression indexed by migration 0005)."""
    skip_locked: str
    """Appended to a SELECT of rows to delete: leaves out rows other transactions are
    changing, rather than waiting for them."""
    search_candidates: str = ""
    """If the engine's planner cannot choose between its text index and a page's order by
    itself: a FROM clause joining conversations to the seqs whose summary may contain the
    trigrams of :phrase (a phrase_query), a superset of those that contain it. A search of at
    least TRIGRAM characters then first walks the page's order for SCAN_FIRST rows, and only
    if those do not fill the page reads these candidates (SqlStore.list_page)."""


def like_pattern(text: str) -> str:
    """A LIKE pattern matching text anywhere, its wildcards escaped with a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


TRIGRAM = 3
"""A text index of trigrams finds only terms at least this long; shorter ones are scanned."""
SCAN_FIRST = 1_000
"""How many rows of a page's order a search reads before it reads the index's candidates: a
term that many conversations hold fills a page within them, before the candidates (half the
organization, say) would have been sorted; a rare one leaves a page short, and then the
candidates are few."""


def phrase_query(text: str) -> str:
    """An FTS5 query matching text as one phrase: every character literal, quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


SearchPlan = Literal["filter", "scan_first", "walked", "candidates"]


class Queries:
    """Every statement of the stores, in one engine's dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        returning = f"RETURNING {COLUMNS}"
        self.insert = Query(f"{_INSERT} {returning}")
        # One statement answers the row it found or made: as an insert then a read, a delete
        # committed in between left nothing to read. The update changes nothing; it only makes
        # RETURNING give the live default.
        self.get_or_insert_default = Query(
            f"{_INSERT} ON CONFLICT (organization_id, agent_id) WHERE {_LIVE_DEFAULT}"
            f" DO UPDATE SET last_updated_by_id = conversations.last_updated_by_id {returning}"
        )
        self.get = Query(f"SELECT {COLUMNS} FROM conversations WHERE id = :id AND {_LIVE}")
        self.get_default = Query(
            f"SELECT {COLUMNS} FROM conversations WHERE agent_id = :agent_id AND is_default"
            f" AND {_LIVE}"
        )
        # Stored values qualified: in an upsert, plain names could also be the proposed row's.
        changes = (
            "".join(
                f"{name} = CASE WHEN :set_{name} THEN :{name} ELSE conversations.{name} END, "
                for name in PLAIN_FIELDS
            )
            + f"archived_at = {_ARCHIVED_AT}, {_stamped(dialect)}"
        )
        # One statement, so a default is never made without its update: a new one is stored
        # as made and then updated (version 2), an existing one is updated.
        self.upsert_default = Query(
            "INSERT INTO conversations (id, organization_id, agent_id, is_default,"
            f" {', '.join(PLAIN_FIELDS)}, archived_at,"
            " created_at, created_by_id, updated_at, last_updated_by_id, version)"
            " VALUES (:id, :organization_id, :agent_id, :is_default, "
            # Plain parameters, so PostgreSQL types each as its column.
            + "".join(f":new_{name}, " for name in PLAIN_FIELDS)
            + ":new_archived_at, :created_at, :created_by_id, :updated_at, :updated_by_id, 2)"
            f" ON CONFLICT (organization_id, agent_id) WHERE {_LIVE_DEFAULT}"
            f" DO UPDATE SET {changes} {returning}"
        )
        soft_delete = (
            f"UPDATE conversations SET deleted_at = :deleted_at WHERE id = :id AND {_LIVE}"
        )
        self.soft_delete = Query(f"{soft_delete} {returning}")
        self.soft_delete_if_version = Query(f"{soft_delete} AND {dialect.version_in} {returning}")
        # Deleted rows still anchor a cursor: pages stay put while others delete.
        self.cursor = Query(
            f"SELECT seq, {dialect.last_message_key} AS last_message_key FROM conversations"
            " WHERE id = :after AND organization_id = :organization_id"
        )
        self.cursor_key = Query("SELECT value FROM server_secrets WHERE name = 'list_cursor_key'")
        # One statement claims a free key or, if it is held, leaves it as it is: either way it
        # answers the holder. A racing claim waits for this one's row, then finds it held.
        self.claim_key = Query(
            "INSERT INTO idempotency_keys"
            " (organization_id, key, fingerprint, token, lease_until, expires_at)"
            " VALUES (:organization_id, :key, :fingerprint, :token, :lease_until, :expires_at)"
            " ON CONFLICT (organization_id, key) DO UPDATE SET "
            + ", ".join(
                f"{column} = CASE WHEN {_KEY_LAPSED} THEN excluded.{column}"
                f" ELSE idempotency_keys.{column} END"
                for column in _CLAIMED
            )
            + " RETURNING fingerprint, token, answer, answer_version"
        )
        self.answer_key = Query(
            "UPDATE idempotency_keys SET answer = :answer, answer_version = :answer_version"
            f" WHERE {_OF_KEY} AND token = :token AND answer IS NULL RETURNING token"
        )
        self.release_key = Query(
            f"DELETE FROM idempotency_keys WHERE {_OF_KEY} AND token = :token AND answer IS NULL"
        )
        self.purge_keys = Query(
            "DELETE FROM idempotency_keys WHERE (organization_id, key) IN"
            " (SELECT organization_id, key FROM idempotency_keys WHERE expires_at <= :now"
            f" ORDER BY expires_at LIMIT :limit{dialect.skip_locked}) RETURNING key"
        )
        self.any_key = Query("SELECT 1 FROM api_keys LIMIT 1")
        # Names are matched by their keys, whose unique indexes make a racing writer's insert
        # wait for ours, then do nothing: both read the same row.
        self.insert_organization = Query(
            "INSERT INTO organizations (id, name, name_key, created_at)"
            " VALUES (:id, :name, :name_key, :created_at) ON CONFLICT (name_key) DO NOTHING"
        )
        self.organization_id = Query("SELECT id FROM organizations WHERE name_key = :name_key")
        self.insert_user = Query(
            "INSERT INTO users (id, organization_id, name, name_key, created_at)"
            " VALUES (:id, :organization_id, :name, :name_key, :created_at)"
            " ON CONFLICT (organization_id, name_key) DO NOTHING"
        )
        self.user_id = Query(
            "SELECT id FROM users WHERE organization_id = :organization_id AND name_key = :name_key"
        )
        self.insert_key = Query(
            "INSERT INTO api_keys (id, user_id, secret_hash, created_at, rate_per_s, burst)"
            " VALUES (:id, :user_id, :secret_hash, :created_at, :rate_per_s, :burst)"
        )
        self.key_owner = Query(
            "SELECT k.id, k.secret_hash, k.revoked_at, k.rate_per_s, k.burst,"
            " u.id AS user_id, u.organization_id"
            " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = :id"
        )
        self.list_keys = Query(
            "SELECT k.id, o.name AS organization_name, u.name AS user_name, k.created_at,"
            " k.revoked_at, k.rate_per_s, k.burst FROM api_keys k JOIN users u ON u.id = k.user_id"
            " JOIN organizations o ON o.id = u.organization_id ORDER BY k.created_at, k.id"
        )
        self.set_key_limit = Query(
            "UPDATE api_keys SET rate_per_s = :rate_per_s, burst = :burst WHERE id = :id"
            " RETURNING id"
        )
        # One statement makes the key's row if it has none and locks it either way (the update
        # changes nothing), answering its allowance; a racing lease waits for this one's commit.
        self.lock_allowance = Query(
            "INSERT INTO key_allowances (key_id, tat) VALUES (:key_id, 0)"
            " ON CONFLICT (key_id) DO UPDATE SET tat = key_allowances.tat RETURNING tat"
        )
        self.store_allowance = Query("UPDATE key_allowances SET tat = :tat WHERE key_id = :key_id")
        self.key_revoked_at = Query(
            f"SELECT revoked_at FROM api_keys WHERE id = :id{dialect.lock_row}"
        )
        self.revoke_key = Query("UPDATE api_keys SET revoked_at = :revoked_at WHERE id = :id")

    def update(self, fields: frozenset[str], archive: bool | None, if_version: bool) -> Query:
        """The update statement setting only the fields given (and archiving or unarchiving if
        archive is not None), guarded by a version test if asked: a few dozen shapes, each built
        once. A column left out of SET leaves its indexes untouched; one set to itself does not
        (SQLite rewrites every index on it, which more than doubled an update's cost)."""
        return _update_query(self.dialect, fields, archive, if_version)

    def page(
        self,
        *,
        by_agent: bool,
        after: bool,
        search: bool | SearchPlan,
        descending: bool,
        archive_status: ArchiveStatus = "unarchived",
        by_last_message: bool = False,
    ) -> Query:
        """The list statement for the filters a page uses (a handful of shapes, each built once).

        A search (True is "filter") either filters the page's rows as it walks its order, or
        ("scan_first") filters only the first :scan rows of it, or ("candidates") reads the
        dialect's search_candidates; each keeps the LIKE of dialect.contains as the final word.
        "walked" counts the rows that scan_first read (fewer than :scan: all there were).
        """
        plan: SearchPlan | None = "filter" if search is True else search or None
        return _page_query(
            self.dialect, by_agent, after, plan, descending, archive_status, by_last_message
        )


def _stamped(dialect: Dialect) -> str:
    """What every update sets besides its changes: who, the next version, and when."""
    return (
        "last_updated_by_id = :updated_by_id, version = conversations.version + 1,"
        # Never earlier than the stored time: a racing writer may have read its clock (or
        # another replica's) before this one and still take the row's lock after it.
        f" updated_at = {dialect.greatest}(:updated_at, conversations.updated_at)"
    )


@functools.cache
def _update_query(
    dialect: Dialect, fields: frozenset[str], archive: bool | None, if_version: bool
) -> Query:
    sets = [f"{name} = :{name}" for name in PLAIN_FIELDS if name in fields]
    if archive is True:
        sets.append("archived_at = COALESCE(archived_at, :archived_at)")
    elif archive is False:
        sets.append("archived_at = NULL")
    sets.append(_stamped(dialect))
    where = f"id = :id AND {_LIVE}" + (f" AND {dialect.version_in}" if if_version else "")
    return Query(f"UPDATE conversations SET {', '.join(sets)} WHERE {where} RETURNING {COLUMNS}")


@functools.cache
def _page_query(
    dialect: Dialect,
    by_agent: bool,
    after: bool,
    search: SearchPlan | None,
    descending: bool,
    archive_status: ArchiveStatus,
    by_last_message: bool,
) -> Query:
    where = [_LIVE, "NOT hidden"]
    if _ARCHIVE_FILTER[archive_status]:
        where.append(_ARCHIVE_FILTER[archive_status])
    if by_agent:
        where.append("agent_id = :agent_id")
    direction, before = ("DESC", "<") if descending else ("ASC", ">")
    if by_last_message:
        key = dialect.last_message_key
        if after:
            # (key, id) past the cursor's, written so that the first condition bounds the
            # index range on both engines (SQLite does not with a row value of an expression).
            where.append(
                f"{key} {before}= :last_message_key"
                f" AND ({key} {before} :last_message_key OR id {before} :after)"
            )
        order = f"{key} {direction}, id {direction}"
    else:
        if after:
            where.append(f"seq {before} :seq")
        order = f"seq {direction}"
    rows = "conversations"
    if search == "walked":
        walked = f"SELECT 1 FROM conversations WHERE {' AND '.join(where)}"
        return Query(f"SELECT count(*) AS walked FROM ({walked} ORDER BY {order} LIMIT :scan)")
    if search == "scan_first":
        # The first :scan rows in the page's order, then those of them that match.
        walked = f"SELECT seq, {COLUMNS} FROM conversations WHERE {' AND '.join(where)}"
        rows = f"({walked} ORDER BY {order} LIMIT :scan)"
        where = []
    elif search == "candidates":
        rows = dialect.search_candidates
    if search:
        where.append(dialect.contains)
    return Query(
        f"SELECT {COLUMNS} FROM {rows} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit",
        replan=search is not None,
    )


class Session(Protocol):
    """Statements on one connection of an engine."""

    async def one(self, query: Query, params: Params) -> Row | None: ...

    async def all(self, query: Query, params: Params) -> Sequence[Row]: ...

    async def run(self, query: Query, params: Params) -> None: ...


class _ClaimLost(Exception):
    """Rolls back a create whose idempotency key another request has claimed meanwhile."""


class SqlStore(ABC):
    """Every storage operation (the ports of server_impl.domain.ports), once for both engines."""

    queries: Queries
    lists: OrganizationShares
    """How many of one organization's list pages are read at once (shares.py)."""

    @abstractmethod
    async def _one(self, query: Query, params: Params) -> Row | None:
        """The first row of one statement, committed on its own."""

    @abstractmethod
    def _connection(self) -> AbstractAsyncContextManager[Session]:
        """One connection for several statements, each committed on its own."""

    @abstractmethod
    def _transaction(self, *, lock_keys: bool = False) -> AbstractAsyncContextManager[Session]:
        """Statements committed together; with lock_keys, no other transaction adds a key
        until this one ends."""

    @abstractmethod
    def _time(self, moment: datetime) -> object:
        """A time as the engine stores it."""

    @abstractmethod
    def _read_time(self, stored: Any) -> datetime: ...

    @abstractmethod
    def _last_message_key(self, moment: datetime | None) -> object:
        """The value of the dialect's last_message_key for a row whose last_message_at is
        moment: exactly what the engine computes for it, so that a place read from a row
        bounds a page as that row's key does."""

    @abstractmethod
    def _versions(self, versions: Versions) -> object:
        """A set of versions as :versions in the dialect's version_in."""

    def _fields(self, row: Row) -> ConversationFields:
        """A row of COLUMNS, read by position (cheaper than by name, 50 times a page), as the
        model of a conversation holds it, with no model built."""
        (
            id_, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,
            last_updated_by_id, summary, updated_at, _version, description, model,
            context_window_limit, last_message_at, archived_at, settings,
        ) = row  # fmt: skip
        time = self._read_time
        return {
            "id": id_,
            "agent_id": agent_id,
            "archived": archived_at is not None,
            "archived_at": None if archived_at is None else time(archived_at),
            "context_window_limit": context_window_limit,
            "created_at": None if created_at is None else time(created_at),
            "created_by_id": created_by_id,
            "description": description,
            "in_context_message_ids": _json_list(in_context_message_ids),
            "isolated_block_ids": _json_list(isolated_block_ids),
            "last_message_at": None if last_message_at is None else time(last_message_at),
            "last_updated_by_id": last_updated_by_id,
            "model": model,
            "model_settings": None if settings is None else json.loads(settings),
            "summary": summary,
            "updated_at": None if updated_at is None else time(updated_at),
        }

    def _versioned(self, row: Row) -> Versioned:
        values = self._fields(row)
        try:
            conversation = _AS_STORED.validate_python(values)
        except ValidationError:
            # A row written under earlier rules that this release's model refuses (a longer
            # summary, say) is still answered as stored, never a 500.
            conversation = ConversationAsStored.model_construct(**values)
        return Versioned(conversation, row["version"])

    def _changes(self, changes: Changes) -> dict[str, object]:
        """The parameters of upsert_default's changes (its SET clause, which names every field)."""
        params: dict[str, object] = {}
        for name in PLAIN_FIELDS:
            value = changes.fields.get(name)
            params[f"set_{name}"] = name in changes.fields
            params[name] = params[f"new_{name}"] = self._stored(value)
        params["set_archive"] = changes.archive is not None
        params["archive"] = bool(changes.archive)
        archived_at = changes.archived_at
        params["archived_at"] = None if archived_at is None else self._time(archived_at)
        # What a default made by upsert_default starts with, as made and then so changed.
        params["new_archived_at"] = params["archived_at"] if changes.archive else None
        return params

    def _stored(self, value: object) -> object:
        """A plain field's value as the engine stores it."""
        if isinstance(value, datetime):
            return self._time(value)
        if isinstance(value, dict):
            return json_text(value)
        return value

    def _maybe(self, row: Row | None) -> Versioned | None:
        return None if row is None else self._versioned(row)

    def _new(self, new: NewConversation, *, is_default: bool) -> dict[str, object]:
        return {
            "id": new.id,
            "organization_id": new.organization_id,
            "agent_id": new.agent_id,
            "is_default": is_default,
            "summary": new.summary,
            "description": new.description,
            "model": new.model,
            "context_window_limit": new.context_window_limit,
            "model_settings": json_text(new.model_settings),
            "hidden": new.hidden,
            "created_at": self._time(new.created_at),
            "created_by_id": new.created_by_id,
        }

    async def insert(self, new: NewConversation) -> Versioned:
        row = await self._one(self.queries.insert, self._new(new, is_default=False))
        return self._versioned(row)

    async def claim_key(self, claim: KeyClaim, now: datetime) -> KeyHolder:
        params = {
            "organization_id": claim.organization_id,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "token": claim.token,
            "lease_until": self._time(claim.lease_until),
            "expires_at": self._time(claim.expires_at),
            "now": self._time(now),
        }
        row = await self._one(self.queries.claim_key, params)
        assert row is not None, "the upsert returns the row it made or kept"
        answer = None
        if row["answer"] is not None:
            conversation = _answered(row["answer"])
            answer = Versioned(conversation, row["answer_version"])
        return KeyHolder(fingerprint=row["fingerprint"], token=row["token"], answer=answer)

    async def insert_answering(self, new: NewConversation, claim: KeyClaim) -> Versioned | None:
        try:
            async with self._transaction() as session:
                row = await session.one(self.queries.insert, self._new(new, is_default=False))
                created = self._versioned(row)
                conversation = created.conversation
                params = {
                    "organization_id": claim.organization_id,
                    "key": claim.key,
                    "token": claim.token,
                    "answer": conversation.__pydantic_serializer__.to_json(conversation).decode(),
                    "answer_version": created.version,
                }
                if await session.one(self.queries.answer_key, params) is None:
                    raise _ClaimLost
        except _ClaimLost:
            return None  # rolled back: no conversation without its answer
        return created

    async def release_key(self, claim: KeyClaim) -> None:
        params = {
            "organization_id": claim.organization_id,
            "key": claim.key,
            "token": claim.token,
        }
        async with self._connection() as session:
            await session.run(self.queries.release_key, params)

    async def purge_keys(self, now: datetime, limit: int) -> int:
        async with self._connection() as session:
            purged = await session.all(
                self.queries.purge_keys, {"now": self._time(now), "limit": limit}
            )
        return len(purged)

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None:
        params = {"id": conversation_id, "organization_id": organization_id}
        return self._maybe(await self._one(self.queries.get, params))

    async def get_current(self, organization_id: str, conversation_id: str) -> Current | None:
        params = {"id": conversation_id, "organization_id": organization_id}
        row = await self._one(self.queries.get, params)
        return None if row is None else Current(self._fields(row), row["version"])

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        params = {"agent_id": agent_id, "organization_id": organization_id}
        return self._maybe(await self._one(self.queries.get_default, params))

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        # The partial unique index lets one live default exist per agent: a racing writer's
        # insert waits for ours, then takes the existing row instead.
        params = self._new(new, is_default=True)
        return self._versioned(await self._one(self.queries.get_or_insert_default, params))

    async def update(
        self,
        organization_id: str,
        conversation_id: str,
        *,
        changes: Changes,
        updated_at: datetime,
        updated_by_id: str,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        params: dict[str, object] = {
            name: self._stored(value) for name, value in changes.fields.items()
        }
        if changes.archive:
            archived_at = changes.archived_at
            params["archived_at"] = None if archived_at is None else self._time(archived_at)
        params.update(
            updated_at=self._time(updated_at),
            updated_by_id=updated_by_id,
            id=conversation_id,
            organization_id=organization_id,
        )
        if if_version is not None:
            params["versions"] = self._versions(if_version)
        query = self.queries.update(
            frozenset(changes.fields), changes.archive, if_version is not None
        )
        return self._maybe(await self._one(query, params))

    async def upsert_default(
        self,
        new: NewConversation,
        *,
        changes: Changes,
        updated_at: datetime,
        updated_by_id: str,
    ) -> Versioned:
        params = {
            **self._new(new, is_default=True),
            **self._changes(changes),
            "updated_at": self._time(updated_at),
            "updated_by_id": updated_by_id,
        }
        return self._versioned(await self._one(self.queries.upsert_default, params))

    async def soft_delete(
        self,
        organization_id: str,
        conversation_id: str,
        deleted_at: datetime,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        params = {
            "deleted_at": self._time(deleted_at),
            "id": conversation_id,
            "organization_id": organization_id,
        }
        if if_version is None:
            return self._maybe(await self._one(self.queries.soft_delete, params))
        params["versions"] = self._versions(if_version)
        return self._maybe(await self._one(self.queries.soft_delete_if_version, params))

    async def list_page(self, page: Page) -> list[ConversationFields]:
        params: dict[str, object] = {
            "organization_id": page.organization_id,
            "agent_id": page.agent_id,
            "limit": page.limit,
        }
        after = page.after
        by_last_message = page.order_by == "last_message_at"
        async with self.lists.of(page.organization_id), self._connection() as session:
            if isinstance(after, Position) and by_last_message:
                # The place as the page before read it, wherever its conversation is now.
                params.update(
                    after=after.id, last_message_key=self._last_message_key(after.last_message_at)
                )
            elif after is not None:
                after_id = after.id if isinstance(after, Position) else after
                anchor = await session.one(
                    self.queries.cursor,
                    {"after": after_id, "organization_id": page.organization_id},
                )
                if anchor is None:
                    raise CursorNotFound(after_id)
                # As read: the key goes back to the engine that made it.
                params.update(
                    after=after_id,
                    seq=anchor["seq"],
                    last_message_key=anchor["last_message_key"],
                )
            shape = functools.partial(
                self.queries.page,
                by_agent=page.agent_id is not None,
                after=after is not None,
                descending=page.order == "desc",
                archive_status=page.archive_status,
                by_last_message=by_last_message,
            )
            term = page.summary_search
            if term is None:
                rows = await session.all(shape(search=False), params)
            elif not self.queries.dialect.search_candidates or len(term) < TRIGRAM:
                params["pattern"] = like_pattern(term)
                rows = await session.all(shape(search="filter"), params)
            else:
                params.update(pattern=like_pattern(term), scan=SCAN_FIRST)
                rows = await session.all(shape(search="scan_first"), params)
                if len(rows) < page.limit and await self._walked(session, shape, params):
                    params["phrase"] = phrase_query(term)
                    rows = await session.all(shape(search="candidates"), params)
        return [self._fields(row) for row in rows]

    @staticmethod
    async def _walked(session: Session, shape: Callable[..., Query], params: Params) -> bool:
        """Whether a scan_first read SCAN_FIRST rows, so that rows past them may match."""
        walked = await session.one(shape(search="walked"), params)
        assert walked is not None, "a count is one row"
        return bool(walked["walked"] == SCAN_FIRST)

    async def cursor_key(self) -> bytes:
        row = await self._one(self.queries.cursor_key, {})
        assert row is not None, "migration 0008 stores it"
        return bytes.fromhex(row["value"])

    async def insert_key(
        self,
        *,
        key_id: str,
        secret_hash: str,
        organization: Name,
        user: Name,
        new_organization_id: str,
        new_user_id: str,
        created_at: datetime,
        only_if_first: bool = False,
        limit: KeyLimit | None = None,
    ) -> bool:
        queries, stamp = self.queries, self._time(created_at)
        async with self._transaction(lock_keys=only_if_first) as session:
            if only_if_first and await session.one(queries.any_key, {}):
                return False
            name_key = {"name_key": organization.key}
            await session.run(
                queries.insert_organization,
                {
                    **name_key,
                    "id": new_organization_id,
                    "name": organization.text,
                    "created_at": stamp,
                },
            )
            found_organization = await session.one(queries.organization_id, name_key)
            assert found_organization is not None, "inserted or found just now, in this transaction"
            in_organization = {"organization_id": found_organization["id"], "name_key": user.key}
            await session.run(
                queries.insert_user,
                {**in_organization, "id": new_user_id, "name": user.text, "created_at": stamp},
            )
            found_user = await session.one(queries.user_id, in_organization)
            assert found_user is not None, "inserted or found just now, in this transaction"
            await session.run(
                queries.insert_key,
                {
                    "id": key_id,
                    "user_id": found_user["id"],
                    "secret_hash": secret_hash,
                    "created_at": stamp,
                    **_limit_params(limit),
                },
            )
        return True

    async def key_owner(self, key_id: str) -> KeyOwner | None:
        row = await self._one(self.queries.key_owner, {"id": key_id})
        if row is None:
            return None
        return KeyOwner(
            key_id=row["id"],
            secret_hash=row["secret_hash"],
            user_id=row["user_id"],
            organization_id=row["organization_id"],
            revoked=row["revoked_at"] is not None,
            limit=_limit(row),
        )

    async def list_keys(self) -> list[KeyListing]:
        async with self._connection() as session:
            rows = await session.all(self.queries.list_keys, {})
        return [
            KeyListing(
                key_id=row["id"],
                organization_name=row["organization_name"],
                user_name=row["user_name"],
                created_at=self._read_time(row["created_at"]),
                revoked_at=None
                if row["revoked_at"] is None
                else self._read_time(row["revoked_at"]),
                limit=_limit(row),
            )
            for row in rows
        ]

    async def revoke_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        async with self._transaction() as session:
            row = await session.one(self.queries.key_revoked_at, {"id": key_id})
            if row is None:
                return None
            if row["revoked_at"] is not None:
                return False
            await session.run(
                self.queries.revoke_key, {"id": key_id, "revoked_at": self._time(revoked_at)}
            )
            return True

    async def set_key_limit(self, key_id: str, limit: KeyLimit | None) -> bool:
        row = await self._one(self.queries.set_key_limit, {"id": key_id, **_limit_params(limit)})
        return row is not None

    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        params: Params = {"key_id": key_id}
        async with self._transaction() as session:
            row = await session.one(self.queries.lock_allowance, params)
            assert row is not None, "the upsert answers the row it made or locked"
            await session.run(self.queries.store_allowance, {**params, "tat": take(row["tat"])})


def _limit_params(limit: KeyLimit | None) -> dict[str, object]:
    if limit is None:
        return {"rate_per_s": None, "burst": None}
    return {"rate_per_s": limit.rate_per_s, "burst": limit.burst}


def _limit(row: Row) -> KeyLimit | None:
    if row["rate_per_s"] is None:
        return None
    return KeyLimit(rate_per_s=row["rate_per_s"], burst=row["burst"])
