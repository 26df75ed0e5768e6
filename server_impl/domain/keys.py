"""API keys: minting, checking and revoking, and the names of the users and organizations
they act as.

A key reads ``lck_<key id>_<secret>``. The key id is public (it names the key in listings and
revocation); the secret carries 256 random bits and is stored only as its SHA-256 hash. A slow
password hash would add nothing for a secret of that strength, and would slow every request.
"""

import hashlib
import hmac
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from .actor import Actor
from .ports import ApiKeyStore, KeyLimit, Name

PREFIX = "lck"
_KEY_ID_BYTES = 8
_SECRET_BYTES = 32

NAME_MAX_LENGTH = 100
# Unicode categories no name may contain: invisible characters, or ones that rearrange, break or
# recolour the text printed around them (controls, bidi and other format characters, line and
# paragraph separators), and what is not a character (surrogates, private use, unassigned).
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MintedKey:
    key_id: str
    key: str


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    secret: str


class InvalidName(ValueError):
    """A name of an organization or user that breaks the rules; the message says how, without
    quoting the name."""


def parse_name(value: str) -> Name:
    """An organization's or a user's name: trimmed, 1 to NAME_MAX_LENGTH characters, none of
    them in _REFUSED_CATEGORIES. Raises InvalidName."""
    text = value.strip()
    if not text:
        raise InvalidName("a name needs a character other than white space")
    if len(text) > NAME_MAX_LENGTH:
        raise InvalidName(f"a name has at most {NAME_MAX_LENGTH} characters, not {len(text)}")
    for position, character in enumerate(text, start=1):
        refused = _REFUSED_CATEGORIES.get(unicodedata.category(character))
        if refused is not None:
            raise InvalidName(
                f"character {position} is U+{ord(character):04X}, {refused}, which no name"
                " may contain"
            )
    return Name(text, _name_key(text))


def _name_key(text: str) -> str:
    """What a name is matched by: Unicode's canonical caseless match (D145), so that "ACME"
    matches "acme", "STRASSE" "straße", and "é" itself or as "e" and an accent. Computed here
    and stored, rather than left to SQL's lower(), so that both engines match alike."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(key: str) -> ParsedKey | None:
    """The parts of a presented key, or None unless it has the shape this server mints."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 2 * _KEY_ID_BYTES or not secret:
        return None
    return ParsedKey(key_id, secret)


async def mint(
    store: ApiKeyStore,
    *,
    organization: str,
    user: str,
    limit: KeyLimit | None = None,
    clock: Clock = _utc_now,
) -> MintedKey:
    """A key for the named user of the named organization, with its own rate limit or the
    server's default. Raises InvalidName for a bad name, storing nothing."""
    minted = await _mint(store, organization, user, only_if_first=False, clock=clock, limit=limit)
    assert minted is not None, "a key stored without only_if_first is always stored"
    return minted


async def mint_first(
    store: ApiKeyStore, *, organization: str, user: str, clock: Clock = _utc_now
) -> MintedKey | None:
    """A key, if and only if the store had none: the bootstrap key of a new installation."""
    return await _mint(store, organization, user, only_if_first=True, clock=clock)


async def _mint(
    store: ApiKeyStore,
    organization: str,
    user: str,
    *,
    only_if_first: bool,
    clock: Clock,
    limit: KeyLimit | None = None,
) -> MintedKey | None:
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    stored = await store.insert_api_key(
        key_id=key_id,
        secret_hash=hash_secret(secret),
        organization=parse_name(organization),
        user=parse_name(user),
        new_organization_id=f"org-{uuid.uuid4()}",
        new_user_id=f"user-{uuid.uuid4()}",
        created_at=clock(),
        only_if_first=only_if_first,
        limit=limit,
    )
    return MintedKey(key_id=key_id, key=f"{PREFIX}_{key_id}_{secret}") if stored else None


Refusal = Literal["malformed", "unknown", "revoked", "wrong_secret"]
"""Why a presented key acts as nobody: not of the shape minted here, no such key id, revoked,
or the id of a key with another secret."""


@dataclass(frozen=True)
class Authenticated:
    actor: Actor
    key_id: str
    limit: KeyLimit | None = None
    """The key's own rate limit; None for the server's default."""


async def authenticate(store: ApiKeyStore, key: str) -> Authenticated | Refusal:
    """Who a presented key acts as, through which key; or why it acts as nobody."""
    parsed = parse_key(key)
    if parsed is None:
        return "malformed"
    owner = await store.api_key_owner(parsed.key_id)
    if owner is None:
        return "unknown"
    if owner.revoked:
        return "revoked"
    if not hmac.compare_digest(owner.secret_hash, hash_secret(parsed.secret)):
        return "wrong_secret"
    actor = Actor(user_id=owner.user_id, organization_id=owner.organization_id)
    return Authenticated(actor, parsed.key_id, owner.limit)


async def actor_for(store: ApiKeyStore, key: str) -> Actor | None:
    """The user a presented key acts as, or None for a malformed, unknown or revoked key."""
    outcome = await authenticate(store, key)
    return outcome.actor if isinstance(outcome, Authenticated) else None


async def revoke(store: ApiKeyStore, key_id: str, *, clock: Clock = _utc_now) -> bool | None:
    """True if revoked now, False if it already was, None if there is no such key."""
    return await store.revoke_api_key(key_id, clock())


async def set_limit(store: ApiKeyStore, key_id: str, limit: KeyLimit | None) -> bool:
    """Gives a key its own rate limit, or (None) the server's default again; False if there is
    no such key. Each process applies it once it has spent what it leased under the old one."""
    return await store.set_api_key_limit(key_id, limit)
