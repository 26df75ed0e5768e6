"""Store: every port at once, as one database implements them."""

from typing import Protocol

from .api_keys import AllowanceStore, ApiKeyStore
from .conversations import ConversationStore
from .idempotency import IdempotencyStore


class Store(ConversationStore, ApiKeyStore, IdempotencyStore, AllowanceStore, Protocol):
    """Everything kept, in one database."""

    async def open(self) -> None:
        """Connects; called once on the event loop that will use the store."""

    async def ping(self) -> None:
        """Raises StorageUnavailable unless the database answers now and can take writes."""

    async def close(self) -> None: ...
