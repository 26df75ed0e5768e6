"""The rules of every conversation operation."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn, Protocol

from .actor import Actor
from .conversation_errors import (
    ConversationChanged,
    ConversationNotFound,
    NoDefault,
    NoDefaultToMatch,
)
from .conversation_fields import changes_of, check_fields
from .cursors import Cursors, is_bare_id
from .errors import NotFound
from .idempotency import DEFAULT_TTL, LEASE, Idempotency, Outcome, fingerprint
from .model_settings import ConversationCreateAsGiven, ConversationUpdateAsGiven
from .ports import (
    ArchiveStatus,
    ConversationFields,
    ConversationStore,
    Current,
    CursorNotFound,
    IdempotencyStore,
    NewConversation,
    Order,
    OrderBy,
    Page,
    Position,
)
from .versions import IfMatch, Versioned, versions_to_test


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_conversation_id() -> str:
    return f"conv-{uuid.uuid4()}"


@dataclass(frozen=True)
class Listed:
    """A page of a list, and the cursor of the next page (None when this is the last)."""

    conversations: list[ConversationFields]
    next_cursor: str | None


class ConversationsStore(ConversationStore, IdempotencyStore, Protocol):
    """What the rules of conversations keep: conversations, and the keys of idempotent creates."""


class Conversations:
    def __init__(
        self,
        store: ConversationsStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = new_conversation_id,
        key_ttl: timedelta = DEFAULT_TTL,
        key_lease: timedelta = LEASE,
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._idempotency = Idempotency(store, clock=clock, ttl=key_ttl, lease=key_lease)
        self._cursor_codec: Cursors | None = None

    async def create(
        self, actor: Actor, agent_id: str, fields: ConversationCreateAsGiven
    ) -> Versioned:
        return await self._store.insert(self._new(actor, agent_id, fields))

    async def create_once(
        self,
        actor: Actor,
        agent_id: str,
        fields: ConversationCreateAsGiven,
        key: str,
        body: object,
    ) -> Outcome:
        """create, run at most once per idempotency key of the organization (idempotency.py);
        body is the request's body as parsed JSON (None for none), which fields was read from."""
        new = self._new(actor, agent_id, fields)
        return await self._idempotency.once(
            actor.organization_id,
            key,
            fingerprint(actor, agent_id, body),
            lambda claim: self._store.insert_answering(new, claim),
        )

    async def retrieve(self, actor: Actor, conversation_id: str) -> Current:
        found = await self._store.get_current(actor.organization_id, conversation_id)
        if found is None:
            raise ConversationNotFound(conversation_id)
        return found

    async def retrieve_default(self, actor: Actor, agent_id: str) -> Versioned:
        """The agent's default conversation in the actor's organization, made on first use."""
        found = await self._store.get_default(actor.organization_id, agent_id)
        if found is not None:
            return found
        return await self._store.get_or_insert_default(self._new(actor, agent_id))

    async def look_up_default(self, actor: Actor, agent_id: str) -> Versioned:
        """The agent's default conversation as it is, never made: for a look that changes
        nothing. NoDefault while there is none."""
        found = await self._store.get_default(actor.organization_id, agent_id)
        if found is None:
            raise NoDefault(agent_id)
        return found

    async def update(
        self,
        actor: Actor,
        conversation_id: str,
        patch: ConversationUpdateAsGiven,
        if_match: IfMatch | None = None,
    ) -> Versioned:
        """A JSON merge-patch; with if_match, only while the version is one it accepts."""
        updated = await self._update(actor, conversation_id, patch, if_match)
        if updated is None:
            await self._raise_missing_or_changed(actor, conversation_id, if_match)
        return updated

    async def update_default(
        self,
        actor: Actor,
        agent_id: str,
        patch: ConversationUpdateAsGiven,
        if_match: IfMatch | None = None,
    ) -> Versioned:
        """As update; made on first use, except by a conditional update (``*`` too), which
        needs a current version.

        A default is made by the same write as its update, so an update that fails makes none.
        """
        if if_match is None:
            new = self._new(actor, agent_id)
            now = self._clock()
            return await self._store.upsert_default(
                new,
                changes=changes_of(patch, now),
                updated_at=now,
                updated_by_id=actor.user_id,
            )
        found = await self._store.get_default(actor.organization_id, agent_id)
        if found is None:
            raise NoDefaultToMatch(agent_id)
        conversation_id = found.conversation.id
        updated = await self._update(actor, conversation_id, patch, if_match)
        if updated is None:
            # Changed or deleted since it was found. Deleted, the agent has no default, as if
            # there had been none: If-Match cannot match (412, never 404).
            if await self._store.get(actor.organization_id, conversation_id) is None:
                raise NoDefaultToMatch(agent_id)
            raise ConversationChanged(conversation_id)
        return updated

    async def delete(
        self, actor: Actor, conversation_id: str, if_match: IfMatch | None = None
    ) -> Versioned:
        deleted = await self._store.soft_delete(
            actor.organization_id, conversation_id, self._clock(), versions_to_test(if_match)
        )
        if deleted is None:
            await self._raise_missing_or_changed(actor, conversation_id, if_match)
        return deleted

    async def delete_default(
        self, actor: Actor, agent_id: str, if_match: IfMatch | None = None
    ) -> Versioned:
        default = await self.look_up_default(actor, agent_id)
        return await self.delete(actor, default.conversation.id, if_match)

    async def list(
        self,
        actor: Actor,
        *,
        limit: int,
        order: Order,
        agent_id: str | None = None,
        after: str | None = None,
        summary_search: str | None = None,
        archive_status: ArchiveStatus = "unarchived",
        order_by: OrderBy = "created_at",
    ) -> Listed:
        """A page of the organization's live conversations, hidden ones never included, and the
        cursor of the next page if there is one. after is a cursor (cursors.py) or a bare id."""
        organization_id = actor.organization_id
        cursors = await self._cursors()
        start: Position | str | None = after
        if after is not None and not is_bare_id(after):
            start = cursors.decode(organization_id, order_by, order, after)
        page = Page(
            organization_id=organization_id,
            # One more than asked tells whether there is a next page.
            limit=limit + 1,
            order=order,
            agent_id=agent_id,
            after=start,
            summary_search=summary_search,
            archive_status=archive_status,
            order_by=order_by,
        )
        try:
            found = await self._store.list_page(page)
        except CursorNotFound:
            raise NotFound(f"No conversation {after} to continue after.") from None
        if len(found) <= limit:
            return Listed(found, None)
        last = found[limit - 1]
        place = (
            Position(last["id"], last["last_message_at"])
            if order_by == "last_message_at"
            else last["id"]
        )
        return Listed(found[:limit], cursors.encode(organization_id, order_by, order, place))

    async def _cursors(self) -> Cursors:
        if self._cursor_codec is None:
            self._cursor_codec = Cursors(await self._store.cursor_key())
        return self._cursor_codec

    async def _update(
        self,
        actor: Actor,
        conversation_id: str,
        patch: ConversationUpdateAsGiven,
        if_match: IfMatch | None,
    ) -> Versioned | None:
        now = self._clock()
        return await self._store.update(
            actor.organization_id,
            conversation_id,
            changes=changes_of(patch, now),
            updated_at=now,
            updated_by_id=actor.user_id,
            if_version=versions_to_test(if_match),
        )

    async def _raise_missing_or_changed(
        self, actor: Actor, conversation_id: str, if_match: IfMatch | None
    ) -> NoReturn:
        """Why a conditional write touched nothing: it was gone (404) or had changed (412)."""
        exists = await self._store.get(actor.organization_id, conversation_id) is not None
        if if_match is not None and exists:
            raise ConversationChanged(conversation_id)
        raise ConversationNotFound(conversation_id)

    def _new(
        self, actor: Actor, agent_id: str, fields: ConversationCreateAsGiven | None = None
    ) -> NewConversation:
        fields = fields or ConversationCreateAsGiven()
        check_fields(fields)
        return NewConversation(
            id=self._new_id(),
            organization_id=actor.organization_id,
            agent_id=agent_id,
            summary=fields.summary,
            created_at=self._clock(),
            created_by_id=actor.user_id,
            description=fields.description,
            model=fields.model,
            context_window_limit=fields.context_window_limit,
            model_settings=fields.model_settings,
            hidden=fields.hidden,
        )
