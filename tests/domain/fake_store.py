"""An in-memory ConversationStore and ApiKeyStore behaving like the engines (storage/sqlite.py):
scoped by organization, soft deletes, versions and if_version, one live default per agent,
pages in creation order or by last message (hidden never, archived as archive_status says)
whose cursors survive deletion (and, as places, moves), keys for named organizations and users
(matched by name key, shown by the name first written), idempotency keys (claimed unless held,
answered by the insert that stores the answer), a key for list cursors, keys' rate limits and
their allowances. It can be told to refuse a summary (refused_summary), as a database may
refuse a value.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from server_impl.domain.model_settings import ConversationAsStored
from server_impl.domain.ports import (
    ApiKeyListing,
    ApiKeyOwner,
    Changes,
    ConversationFields,
    Current,
    CursorNotFound,
    IdempotencyClaim,
    IdempotencyHolder,
    KeyLimit,
    Name,
    NewConversation,
    Page,
    Position,
)
from server_impl.domain.versions import Versioned, Versions


@dataclass
class Row:
    """A stored conversation; its index in FakeStore.rows is its creation order (seq)."""

    organization_id: str
    is_default: bool
    conversation: ConversationAsStored
    version: int = 1
    deleted_at: datetime | None = None
    hidden: bool = False

    def versioned(self) -> Versioned:
        return Versioned(self.conversation, self.version)


@dataclass
class KeyRow:
    """A stored idempotency key: the claim that holds it, and the answer once there is one."""

    claim: IdempotencyClaim
    answer: Versioned | None = None

    def lapsed(self, now: datetime) -> bool:
        """Free again: expired, or without an answer past its lease (as _LAPSED of
        storage/idempotency.py)."""
        return self.claim.expires_at <= now or (
            self.answer is None and self.claim.lease_until <= now
        )


class FakeStore:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.keys: dict[str, ApiKeyOwner] = {}
        self.listings: dict[str, ApiKeyListing] = {}
        self.organizations: dict[str, str] = {}  # name key -> id
        self.users: dict[tuple[str, str], str] = {}  # (organization id, name key) -> id
        self.names: dict[str, str] = {}  # organization or user id -> its name as first written
        self.refused_summary: str | None = None
        self.idempotency_keys: dict[tuple[str, str], KeyRow] = {}
        self.key = secrets.token_bytes(32)
        self.allowances: dict[str, float] = {}  # key id -> its rate limit's allowance

    # Nothing to connect to, and always reachable.
    async def open(self) -> None:
        pass

    async def ping(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def claim_idempotency_key(
        self, claim: IdempotencyClaim, now: datetime
    ) -> IdempotencyHolder:
        at = (claim.organization_id, claim.key)
        row = self.idempotency_keys.get(at)
        if row is None or row.lapsed(now):
            row = self.idempotency_keys[at] = KeyRow(claim)
        return IdempotencyHolder(row.claim.fingerprint, row.claim.token, row.answer)

    async def insert_answering(
        self, new: NewConversation, claim: IdempotencyClaim
    ) -> Versioned | None:
        row = self.idempotency_keys.get((claim.organization_id, claim.key))
        if row is None or row.claim.token != claim.token or row.answer is not None:
            return None
        row.answer = self._insert(new, is_default=False).versioned()
        return row.answer

    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None:
        at = (claim.organization_id, claim.key)
        row = self.idempotency_keys.get(at)
        if row is not None and row.claim.token == claim.token and row.answer is None:
            del self.idempotency_keys[at]

    async def purge_idempotency_keys(self, now: datetime, limit: int) -> int:
        expired = sorted(
            (row for row in self.idempotency_keys.values() if row.claim.expires_at <= now),
            key=lambda row: row.claim.expires_at,
        )[:limit]
        for row in expired:
            del self.idempotency_keys[(row.claim.organization_id, row.claim.key)]
        return len(expired)

    async def insert(self, new: NewConversation) -> Versioned:
        return self._insert(new, is_default=False).versioned()

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None:
        return _versioned(self._live(organization_id, conversation_id))

    async def get_current(self, organization_id: str, conversation_id: str) -> Current | None:
        found = await self.get(organization_id, conversation_id)
        return None if found is None else Current(found.conversation.model_dump(), found.version)

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        return _versioned(self._default(organization_id, agent_id))

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        found = await self.get_default(new.organization_id, new.agent_id)
        return found or self._insert(new, is_default=True).versioned()

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
        self._check(_summary(changes))
        row = self._live(organization_id, conversation_id, if_version)
        if row is None:
            return None
        return _change(row, changes, updated_at, updated_by_id)

    async def upsert_default(
        self,
        new: NewConversation,
        *,
        changes: Changes,
        updated_at: datetime,
        updated_by_id: str,
    ) -> Versioned:
        self._check(_summary(changes))
        row = self._default(new.organization_id, new.agent_id) or self._insert(
            replace(new, summary=None), is_default=True
        )
        return _change(row, changes, updated_at, updated_by_id)

    async def soft_delete(
        self,
        organization_id: str,
        conversation_id: str,
        deleted_at: datetime,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        row = self._live(organization_id, conversation_id, if_version)
        if row is not None:
            row.deleted_at = deleted_at
        return _versioned(row)

    async def list_page(self, page: Page) -> list[ConversationFields]:
        rows = [row for row in self.rows if row.organization_id == page.organization_id]
        key = _order_key(page, rows)
        ordered = sorted(rows, key=key, reverse=page.order == "desc")
        after = page.after
        if after is not None:
            if isinstance(after, Position) and page.order_by == "last_message_at":
                at = _last_message_key(after.last_message_at, after.id)
            else:  # a deleted conversation still anchors a cursor
                after_id = after.id if isinstance(after, Position) else after
                anchor = next((row for row in rows if row.conversation.id == after_id), None)
                if anchor is None:
                    raise CursorNotFound(after_id)
                at = key(anchor)
            ordered = [
                row for row in ordered if (key(row) > at if page.order == "asc" else key(row) < at)
            ]
        return [
            row.conversation.model_dump()
            for row in ordered
            if row.deleted_at is None
            and not row.hidden
            and _archive_status_lists(page, row.conversation)
            and page.agent_id in (None, row.conversation.agent_id)
            and _contains(row.conversation.summary, page.summary_search)
        ][: page.limit]

    async def cursor_key(self) -> bytes:
        return self.key

    def _check(self, summary: str | None) -> None:
        """Refuses to write refused_summary, as a database may refuse a value."""
        if summary is not None and summary == self.refused_summary:
            raise Refused(summary)

    def _insert(self, new: NewConversation, *, is_default: bool) -> Row:
        self._check(new.summary)
        assert all(row.conversation.id != new.id for row in self.rows), "ids are unique"
        conversation = ConversationAsStored.model_construct(
            id=new.id,
            agent_id=new.agent_id,
            created_at=new.created_at,
            created_by_id=new.created_by_id,
            in_context_message_ids=[],
            isolated_block_ids=[],
            last_updated_by_id=new.created_by_id,
            summary=new.summary,
            updated_at=new.created_at,
            description=new.description,
            model=new.model,
            context_window_limit=new.context_window_limit,
            model_settings=new.model_settings,
            last_message_at=None,
            archived=False,
            archived_at=None,
        )
        self.rows.append(Row(new.organization_id, is_default, conversation, hidden=new.hidden))
        return self.rows[-1]

    def _live_rows(self, org: str) -> list[Row]:
        return [row for row in self.rows if row.organization_id == org and row.deleted_at is None]

    def _default(self, org: str, agent_id: str) -> Row | None:
        rows = self._live_rows(org)
        return next((r for r in rows if r.is_default and r.conversation.agent_id == agent_id), None)

    def _live(
        self, org: str, conversation_id: str, if_version: Versions | None = None
    ) -> Row | None:
        """The live conversation, unless if_version is given and lacks its version."""
        row = next((r for r in self._live_rows(org) if r.conversation.id == conversation_id), None)
        matches = row is not None and (if_version is None or row.version in if_version)
        return row if matches else None

    async def insert_api_key(
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
        if only_if_first and self.keys:
            return False
        assert key_id not in self.keys, "key ids are unique"
        organization_id = self.organizations.setdefault(organization.key, new_organization_id)
        user_id = self.users.setdefault((organization_id, user.key), new_user_id)
        self.names.setdefault(organization_id, organization.text)
        self.names.setdefault(user_id, user.text)
        self.keys[key_id] = ApiKeyOwner(
            key_id, secret_hash, user_id, organization_id, revoked=False, limit=limit
        )
        self.listings[key_id] = ApiKeyListing(
            key_id, self.names[organization_id], self.names[user_id], created_at, None, limit
        )
        return True

    async def api_key_owner(self, key_id: str) -> ApiKeyOwner | None:
        return self.keys.get(key_id)

    async def list_api_keys(self) -> list[ApiKeyListing]:
        return sorted(self.listings.values(), key=lambda key: (key.created_at, key.key_id))

    async def revoke_api_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        owner = self.keys.get(key_id)
        if owner is None:
            return None
        if owner.revoked:
            return False
        self.keys[key_id] = replace(owner, revoked=True)
        self.listings[key_id] = replace(self.listings[key_id], revoked_at=revoked_at)
        return True

    async def set_api_key_limit(self, key_id: str, limit: KeyLimit | None) -> bool:
        owner = self.keys.get(key_id)
        if owner is None:
            return False
        self.keys[key_id] = replace(owner, limit=limit)
        self.listings[key_id] = replace(self.listings[key_id], limit=limit)
        return True

    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        self.allowances[key_id] = take(self.allowances.get(key_id, 0.0))


class Refused(Exception):
    """The store refused to write a value (FakeStore.refused_summary)."""


def _change(row: Row, changes: Changes, updated_at: datetime, updated_by_id: str) -> Versioned:
    """Updates a live row as the engines' UPDATE does."""
    stored = row.conversation.updated_at
    assert stored is not None, "every stored conversation has one"
    update: dict[str, object] = {
        **changes.fields,
        "updated_at": max(updated_at, stored),
        "last_updated_by_id": updated_by_id,
    }
    if changes.archive is not None:
        archived_at = row.conversation.archived_at or changes.archived_at
        update["archived_at"] = archived_at if changes.archive else None
        update["archived"] = changes.archive
    row.conversation = row.conversation.model_copy(update=update)
    row.version += 1
    return row.versioned()


def _versioned(row: Row | None) -> Versioned | None:
    return None if row is None else row.versioned()


def _summary(changes: Changes) -> str | None:
    summary = changes.fields.get("summary")
    return summary if isinstance(summary, str) else None


def _archive_status_lists(page: Page, conversation: ConversationAsStored) -> bool:
    if page.archive_status == "all":
        return True
    return conversation.archived == (page.archive_status == "archived")


def _contains(summary: str | None, search: str | None) -> bool:
    """Like the engines' (I)LIKE '%search%': case-insensitive; a missing summary never matches."""
    return search is None or (summary is not None and search.lower() in summary.lower())


def _order_key(page: Page, rows: list[Row]) -> Callable[[Row], tuple[Any, ...]]:
    """How the page orders: creation order, or last_message_at (none before every time) then
    id."""
    if page.order_by != "last_message_at":
        made = {id(row): number for number, row in enumerate(rows)}
        return lambda row: (made[id(row)],)

    def by_last_message(row: Row) -> tuple[Any, ...]:
        return _last_message_key(row.conversation.last_message_at, row.conversation.id)

    return by_last_message


def _last_message_key(at: datetime | None, conversation_id: str) -> tuple[Any, ...]:
    """A place in the order of last_message_at: none before every time, then by id."""
    return (at is not None, at or datetime.min.replace(tzinfo=UTC), conversation_id)
