"""Idempotent requests: a request sent with an idempotency key runs at most once.

A key belongs to an organization and names the first request sent with it, by a fingerprint of
who sent it and what it asked. A key is, in turn:

- free (never used, expired, or released): the next request with it claims it and runs;
- in flight: claimed by a request still running. The same request again is told to retry
  shortly (KeyInFlight); the claim holds for a lease, after which a request may claim the key
  again, so that a process that died mid-request blocks its key only that long;
- answered: the request succeeded, and its answer was stored by the same write that made the
  conversation. The same request again gets that answer, replayed, until the key expires.

A request that fails changes nothing, so it releases its key: the next one with it runs. Any
request with a key already naming another request is refused (KeyReused), whatever the key's
state, since retrying cannot help it.
"""

import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .actor import Actor
from .errors import Conflict, InvalidValue, StorageUnavailable
from .ports import IdempotencyClaim, IdempotencyStore
from .versions import Versioned

KEY_HEADER = "Idempotency-Key"
DEFAULT_TTL = timedelta(hours=24)
LEASE = timedelta(seconds=30)
"""Well beyond the longest a live request can take (its database calls time out within
seconds), so a claim is taken over only from a request that is gone."""
PURGE_BATCH = 100
"""Expired keys forgotten per claim, at most: each claim adds one key, so expired keys never
pile up, and no claim pays for many."""


def new_token() -> str:
    return uuid.uuid4().hex


def fingerprint(actor: Actor, agent_id: str, body: object) -> str:
    """What a create asks, as a digest: the user, the agent and the body as parsed JSON, so
    that neither the order of its members, nor whitespace, nor escapes matter. No body is
    the empty one, as create reads it."""
    request = [actor.user_id, agent_id, {} if body is None else body]
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyInFlight(Conflict):
    def __init__(self) -> None:
        super().__init__(
            f"A request with this {KEY_HEADER} is still in flight; retry after Retry-After"
            " seconds to get its answer. Nothing was changed."
        )


class KeyReused(InvalidValue):
    def __init__(self) -> None:
        super().__init__(
            f"header.{KEY_HEADER}",
            "was already used for a different request (another user, agent_id or body);"
            " send a new key for a new request. Nothing was changed.",
        )


@dataclass(frozen=True)
class Outcome:
    versioned: Versioned
    replayed: bool
    """Whether this is the stored answer of an earlier request with the key."""


Run = Callable[[IdempotencyClaim], Awaitable[Versioned | None]]
"""Makes the request's change and stores its answer with the claim, atomically; None when the
claim no longer holds its key, in which case nothing was changed."""


class Idempotency:
    def __init__(
        self,
        store: IdempotencyStore,
        *,
        clock: Callable[[], datetime],
        ttl: timedelta = DEFAULT_TTL,
        lease: timedelta = LEASE,
        new_token: Callable[[], str] = new_token,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._lease = lease
        self._new_token = new_token

    async def once(self, organization_id: str, key: str, fingerprint: str, run: Run) -> Outcome:
        """run's answer, or the one stored for key if it named this request before."""
        now = self._clock()
        await self._store.purge_idempotency_keys(now, PURGE_BATCH)
        claim = IdempotencyClaim(
            organization_id=organization_id,
            key=key,
            fingerprint=fingerprint,
            token=self._new_token(),
            lease_until=now + self._lease,
            expires_at=now + self._ttl,
        )
        holder = await self._store.claim_idempotency_key(claim, now)
        if holder.fingerprint != fingerprint:
            raise KeyReused()
        if holder.answer is not None:
            return Outcome(holder.answer, replayed=True)
        if holder.token != claim.token:
            raise KeyInFlight()
        try:
            answer = await run(claim)
        except BaseException:
            await self._release(claim)
            raise
        if answer is None:
            # Held past its lease and claimed by another request, which runs instead.
            raise KeyInFlight()
        return Outcome(answer, replayed=False)

    async def _release(self, claim: IdempotencyClaim) -> None:
        # If the database cannot be reached, the claim lapses with its lease instead.
        with contextlib.suppress(StorageUnavailable):
            await self._store.release_idempotency_key(claim)
