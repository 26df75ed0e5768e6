"""What the rules need kept, as the interfaces storage implements (one per concern)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from .model_settings import JsonObject
from .versions import Versioned, Versions

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


@dataclass(frozen=True)
class IdempotencyClaim:
    """A request's claim on an idempotency key of its organization: the key names that
    request (fingerprint) from now on; token tells the claiming request from any other."""

    organization_id: str
    key: str
    fingerprint: str
    token: str
    lease_until: datetime
    """Until then the request holds the key while it runs; after it, if it has stored no
    answer (its process died), another request may claim the key."""
    expires_at: datetime
    """From then on the key is forgotten, whatever it holds."""


@dataclass(frozen=True)
class IdempotencyHolder:
    """The request an idempotency key names, as stored."""

    fingerprint: str
    token: str
    answer: Versioned | None
    """The conversation as that request created it; None while it runs."""


class IdempotencyStore(Protocol):
    """Idempotency keys, per organization, and the answers stored with them."""

    async def claim_idempotency_key(
        self, claim: IdempotencyClaim, now: datetime
    ) -> IdempotencyHolder:
        """Stores claim unless its key is held at now, atomically, and returns the holder
        (claim itself when stored). A key is held until it expires; without an answer, only
        until its lease lapses."""

    async def insert_answering(
        self, new: NewConversation, claim: IdempotencyClaim
    ) -> Versioned | None:
        """Inserts new and stores it as claim's answer, atomically; None, inserting nothing,
        when claim no longer holds its key (another request claimed it after its lease)."""

    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None:
        """Forgets the key while claim holds it without an answer (its request failed)."""

    async def purge_idempotency_keys(self, now: datetime, limit: int) -> int:
        """Forgets up to limit keys expired at now, earliest expiry first; returns how many."""


@dataclass(frozen=True)
class Name:
    """An organization's or a user's name, as keys.parse_name makes it: the text as written, and
    the key it is matched by, which names differing only in case share."""

    text: str
    key: str


@dataclass(frozen=True)
class KeyLimit:
    """A key's rate limit (rate_limits.py): requests per second sustained, and at once."""

    rate_per_s: float
    burst: int


@dataclass(frozen=True)
class ApiKeyOwner:
    """Who a stored key acts as, and whether it still may."""

    key_id: str
    secret_hash: str
    user_id: str
    organization_id: str
    revoked: bool
    limit: KeyLimit | None = None
    """The key's own rate limit; None for the server's default."""


@dataclass(frozen=True)
class ApiKeyListing:
    key_id: str
    organization_name: str
    user_name: str
    created_at: datetime
    revoked_at: datetime | None
    limit: KeyLimit | None = None


class ApiKeyStore(Protocol):
    """API keys, stored as hashes only, and the users and organizations they act as."""

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
        """Stores a key for the named user of the named organization, creating either if none
        has the name's key; the first name written for either is the one kept.

        With only_if_first, stores it only while no key exists at all, atomically: of several
        replicas starting on an empty database, one mints the bootstrap key. Returns whether
        the key was stored."""

    async def api_key_owner(self, key_id: str) -> ApiKeyOwner | None: ...

    async def list_api_keys(self) -> list[ApiKeyListing]: ...

    async def revoke_api_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        """True if revoked now, False if it already was, None if there is no such key."""

    async def set_api_key_limit(self, key_id: str, limit: KeyLimit | None) -> bool:
        """Sets a key's own rate limit (None: the server's default); False if no such key."""


class AllowanceStore(Protocol):
    """Each key's rate-limit allowance (rate_limits.py), one number per key, shared by every
    process serving the database."""

    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        """Calls take with the key's stored number (0.0 if none yet) and stores what it
        returns, atomically: no other lease of the key comes between."""


class Store(ConversationStore, ApiKeyStore, IdempotencyStore, AllowanceStore, Protocol):
    """Everything kept, in one database."""

    async def open(self) -> None:
        """Connects; called once on the event loop that will use the store."""

    async def ping(self) -> None:
        """Raises StorageUnavailable unless the database answers now and can take writes."""

    async def close(self) -> None: ...
