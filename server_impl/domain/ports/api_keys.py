"""What the rules need kept of API keys: their owners, names, rate limits and allowances."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
