"""What the rules need kept, as the interfaces storage implements (one per concern)."""

from .api_keys import AllowanceStore, ApiKeyListing, ApiKeyOwner, ApiKeyStore, KeyLimit, Name
from .conversations import (
    PLAIN_FIELDS,
    ArchiveStatus,
    Changes,
    ConversationFields,
    ConversationStore,
    Current,
    CursorNotFound,
    NewConversation,
    Order,
    OrderBy,
    Page,
    Position,
)
from .idempotency import IdempotencyClaim, IdempotencyHolder, IdempotencyStore
from .store import Store

__all__ = [
    "PLAIN_FIELDS",
    "AllowanceStore",
    "ApiKeyListing",
    "ApiKeyOwner",
    "ApiKeyStore",
    "ArchiveStatus",
    "Changes",
    "ConversationFields",
    "ConversationStore",
    "Current",
    "CursorNotFound",
    "IdempotencyClaim",
    "IdempotencyHolder",
    "IdempotencyStore",
    "KeyLimit",
    "Name",
    "NewConversation",
    "Order",
    "OrderBy",
    "Page",
    "Position",
    "Store",
]
