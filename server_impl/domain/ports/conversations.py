"""What the rules need kept of conversations: their fields, changes, list pages and store."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from ..model_settings import JsonObject
from ..versions import Versioned, Versions

Order = Literal["asc", "desc"]
ArchiveStatus = Literal["unarchived", "archived", "all"]
OrderBy = Literal["created_at", "last_message_at", "last_run_completion"]

PLAIN_FIELDS = (
    "summary",
    "description",
    "model",
    "context_window_limit",
    "last_message_at",
    "model_settings",
)
"""The fields an update sets as given (merge-patch): left out keeps, None clears, a value sets
(model_settings a whole JSON object: it replaces the stored one, never merges into it)."""


ConversationFields = dict[str, Any]
"""A conversation as a list page holds it, with no model built: the fields of the spec's
Conversation by its names and in its order, each with the value the model would hold (times
as datetimes, model_settings as its parsed JSON). A page of 50 models cost about as much as the
rest of the request; a page of these is written to JSON as it is (handlers.fields_body)."""


@dataclass(frozen=True, slots=True)
class Current:
    """A conversation as a GET answers it: its fields, with no model built, and its version."""

    fields: ConversationFields
    version: int


class CursorNotFound(LookupError):
    """The `after` cursor names no conversation of the organization."""


@dataclass(frozen=True)
class NewConversation:
    id: str
    organization_id: str
    agent_id: str
    summary: str | None
    created_at: datetime
    created_by_id: str
    description: str | None = None
    model: str | None = None
    context_window_limit: int | None = None
    model_settings: JsonObject | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Changes:
    """What an update changes, as merge-patch says.

    fields maps each of PLAIN_FIELDS given to its new value (None clears it); the others are
    kept. archive: True archives at archived_at unless already archived (the earlier time is
    kept), False unarchives, None leaves it as it is.
    """

    fields: Mapping[str, object] = field(default_factory=dict)
    archive: bool | None = None
    archived_at: datetime | None = None


@dataclass(frozen=True)
class Position:
    """A place in the order of last_message_at: a conversation's last_message_at (None for none)
    and its id, as a page read them; it stays put when that conversation moves or is deleted."""

    id: str
    last_message_at: datetime | None


@dataclass(frozen=True)
class Page:
    organization_id: str
    limit: int
    order: Order
    agent_id: str | None = None
    after: Position | str | None = None
    """The page starts right after this place: a Position (order_by=last_message_at), or a
    conversation id, meaning that conversation's current place (also when it is deleted), which
    under created_at and last_run_completion never changes."""
    summary_search: str | None = None
    archive_status: ArchiveStatus = "unarchived"
    """Hidden conversations are never listed, whatever this says."""
    order_by: OrderBy = "created_at"
    """created_at orders by creation. last_message_at orders by that time, a conversation
    without one before every time, ties by id. No conversation has a completed run (this
    server runs no agents), so all tie by last_run_completion, and ties are in creation
    order: as created_at."""


class ConversationStore(Protocol):
    """Conversations, always scoped by organization; deletion is soft.

    Every method raises StorageUnavailable (errors.py) when the database cannot answer now.
    """

    async def insert(self, new: NewConversation) -> Versioned: ...

    async def get(self, organization_id: str, conversation_id: str) -> Versioned | None: ...

    async def get_current(self, organization_id: str, conversation_id: str) -> Current | None:
        """As get, with no model built: what a GET answers."""

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None: ...

    async def get_or_insert_default(self, new: NewConversation) -> Versioned:
        """The live default of new's agent; new becomes it if there is none (atomically)."""

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
        """None when there is no such live conversation or its version is not in if_version.

        updated_at is stored unless the stored one is later, so as the version rises it never
        falls, whatever the order in which racing writers read their clocks."""

    async def upsert_default(
        self,
        new: NewConversation,
        *,
        changes: Changes,
        updated_at: datetime,
        updated_by_id: str,
    ) -> Versioned:
        """Updates the live default of new's agent as update does; if there is none, new
        (with no field set) becomes it, stored as made and then so updated (version 2).
        Atomically: a default is never made without its update."""

    async def soft_delete(
        self,
        organization_id: str,
        conversation_id: str,
        deleted_at: datetime,
        if_version: Versions | None = None,
    ) -> Versioned | None:
        """None when there is no such live conversation or its version is not in if_version."""

    async def list_page(self, page: Page) -> list[ConversationFields]:
        """Raises CursorNotFound when page.after is an id naming no conversation, even a
        deleted one."""

    async def cursor_key(self) -> bytes:
        """The secret that signs list cursors (cursors.py): the same for every process serving
        this database, so that a cursor one replica made another accepts."""
