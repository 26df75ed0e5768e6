"""Conversations one at a time: made, read, changed and deleted, each statement beside the
method that runs it. Pages of them are conversation_pages.py."""

import functools
from datetime import datetime

from server_impl.domain.ports import PLAIN_FIELDS, Changes, Current, NewConversation
from server_impl.domain.versions import Versioned, Versions

from .conversation_rows import COLUMNS, INSERT, LIVE, RETURNING, ConversationRows, json_text
from .sql import Dialect, Query

# The predicate of the partial unique index conversations_one_default: one per agent.
_LIVE_DEFAULT = "is_default AND deleted_at IS NULL"
# An update's archive: :archive true keeps an earlier archived_at, false clears it.
_ARCHIVED_AT = (
    "CASE WHEN NOT :set_archive THEN conversations.archived_at"
    " WHEN :archive THEN COALESCE(conversations.archived_at, :archived_at) END"
)
_SOFT_DELETE = f"UPDATE conversations SET deleted_at = :deleted_at WHERE id = :id AND {LIVE}"


def _stamped(dialect: Dialect) -> str:
    """What every update sets besides its changes: who, the next version, and when."""
    return (
        "last_updated_by_id = :updated_by_id, version = conversations.version + 1,"
        # Never earlier than the stored time: a racing writer may have read its clock (or
        # another replica's) before this one and still take the row's lock after it.
        f" updated_at = {dialect.greatest}(:updated_at, conversations.updated_at)"
    )


@functools.cache
def update_query(
    dialect: Dialect, fields: frozenset[str], archive: bool | None, if_version: bool
) -> Query:
    """The update statement setting only the fields given (and archiving or unarchiving if
    archive is not None), guarded by a version test if asked: a few dozen shapes, each built
    once. A column left out of SET leaves its indexes untouched; one set to itself does not
    (SQLite rewrites every index on it, which more than doubled an update's cost)."""
    sets = [f"{name} = :{name}" for name in PLAIN_FIELDS if name in fields]
    if archive is True:
        sets.append("archived_at = COALESCE(archived_at, :archived_at)")
    elif archive is False:
        sets.append("archived_at = NULL")
    sets.append(_stamped(dialect))
    where = f"id = :id AND {LIVE}" + (f" AND {dialect.version_in}" if if_version else "")
    return Query(f"UPDATE conversations SET {', '.join(sets)} WHERE {where} {RETURNING}")


class SqlConversations(ConversationRows):
    """The ConversationStore of server_impl.domain.ports, but for list_page and cursor_key."""

    async def insert(self, new: NewConversation) -> Versioned:
        row = await self._one(self._insert, self._new(new, is_default=False))
        return self._versioned(row)

    _get = Query(f"SELECT {COLUMNS} FROM conversations WHERE id = :id AND {LIVE}")

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None:
        params = {"id": conversation_id, "organization_id": organization_id}
        return self._maybe(await self._one(self._get, params))

    async def get_current(self, organization_id: str, conversation_id: str) -> Current | None:
        params = {"id": conversation_id, "organization_id": organization_id}
        row = await self._one(self._get, params)
        return None if row is None else Current(self._fields(row), row["version"])

    _get_default = Query(
        f"SELECT {COLUMNS} FROM conversations WHERE agent_id = :agent_id AND is_default AND {LIVE}"
    )

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        params = {"agent_id": agent_id, "organization_id": organization_id}
        return self._maybe(await self._one(self._get_default, params))

    # One statement answers the row it found or made: as an insert then a read, a delete
    # committed in between left nothing to read. The update changes nothing; it only makes
    # RETURNING give the live default.
    _get_or_insert_default = Query(
        f"{INSERT} ON CONFLICT (organization_id, agent_id) WHERE {_LIVE_DEFAULT}"
        f" DO UPDATE SET last_updated_by_id = conversations.last_updated_by_id {RETURNING}"
    )

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        # The partial unique index lets one live default exist per agent: a racing writer's
        # insert waits for ours, then takes the existing row instead.
        params = self._new(new, is_default=True)
        return self._versioned(await self._one(self._get_or_insert_default, params))

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
        query = update_query(
            self.dialect, frozenset(changes.fields), changes.archive, if_version is not None
        )
        return self._maybe(await self._one(query, params))

    @functools.cached_property
    def _upsert_default(self) -> Query:
        # Stored values qualified: in an upsert, plain names could also be the proposed row's.
        changes = (
            "".join(
                f"{name} = CASE WHEN :set_{name} THEN :{name} ELSE conversations.{name} END, "
                for name in PLAIN_FIELDS
            )
            + f"archived_at = {_ARCHIVED_AT}, {_stamped(self.dialect)}"
        )
        # One statement, so a default is never made without its update: a new one is stored
        # as made and then updated (version 2), an existing one is updated.
        return Query(
            "INSERT INTO conversations (id, organization_id, agent_id, is_default,"
            f" {', '.join(PLAIN_FIELDS)}, archived_at,"
            " created_at, created_by_id, updated_at, last_updated_by_id, version)"
            " VALUES (:id, :organization_id, :agent_id, :is_default, "
            # Plain parameters, so PostgreSQL types each as its column.
            + "".join(f":new_{name}, " for name in PLAIN_FIELDS)
            + ":new_archived_at, :created_at, :created_by_id, :updated_at, :updated_by_id, 2)"
            f" ON CONFLICT (organization_id, agent_id) WHERE {_LIVE_DEFAULT}"
            f" DO UPDATE SET {changes} {RETURNING}"
        )

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
        return self._versioned(await self._one(self._upsert_default, params))

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

    _soft_delete = Query(f"{_SOFT_DELETE} {RETURNING}")

    @functools.cached_property
    def _soft_delete_if_version(self) -> Query:
        return Query(f"{_SOFT_DELETE} AND {self.dialect.version_in} {RETURNING}")

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
            return self._maybe(await self._one(self._soft_delete, params))
        params["versions"] = self._versions(if_version)
        return self._maybe(await self._one(self._soft_delete_if_version, params))
