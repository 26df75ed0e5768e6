"""What the rules need kept of Idempotency-Key records: claims, their holders and store."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..versions import Versioned
from .conversations import NewConversation


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
