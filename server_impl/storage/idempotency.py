"""Idempotency-Key records: a create's claim on its key, the answer stored with it, and their
release and expiry, each statement beside the method that runs it."""

import functools
from datetime import datetime

from server_impl.domain.ports import IdempotencyClaim, IdempotencyHolder, NewConversation
from server_impl.domain.versions import Versioned

from .conversation_rows import ConversationRows, answered
from .sql import Query

# A record is free again once expired, or, without an answer, once its lease lapsed.
_LAPSED = (
    "(idempotency_keys.expires_at <= :now"
    " OR (idempotency_keys.answer IS NULL AND idempotency_keys.lease_until <= :now))"
)
_CLAIMED = ("fingerprint", "token", "lease_until", "expires_at", "answer", "answer_version")
_OF_KEY = "organization_id = :organization_id AND key = :key"


class _ClaimLost(Exception):
    """Rolls back a create whose Idempotency-Key another request has claimed meanwhile."""


class SqlIdempotencyRecords(ConversationRows):
    """The IdempotencyStore of server_impl.domain.ports."""

    # One statement claims a free key or, if it is held, leaves it as it is: either way it
    # answers the holder. A racing claim waits for this one's row, then finds it held.
    _claim_idempotency_key = Query(
        "INSERT INTO idempotency_keys"
        " (organization_id, key, fingerprint, token, lease_until, expires_at)"
        " VALUES (:organization_id, :key, :fingerprint, :token, :lease_until, :expires_at)"
        " ON CONFLICT (organization_id, key) DO UPDATE SET "
        + ", ".join(
            f"{column} = CASE WHEN {_LAPSED} THEN excluded.{column}"
            f" ELSE idempotency_keys.{column} END"
            for column in _CLAIMED
        )
        + " RETURNING fingerprint, token, answer, answer_version"
    )

    async def claim_idempotency_key(
        self, claim: IdempotencyClaim, now: datetime
    ) -> IdempotencyHolder:
        params = {
            "organization_id": claim.organization_id,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "token": claim.token,
            "lease_until": self._time(claim.lease_until),
            "expires_at": self._time(claim.expires_at),
            "now": self._time(now),
        }
        row = await self._one(self._claim_idempotency_key, params)
        assert row is not None, "the upsert returns the row it made or kept"
        answer = None
        if row["answer"] is not None:
            conversation = answered(row["answer"])
            answer = Versioned(conversation, row["answer_version"])
        return IdempotencyHolder(fingerprint=row["fingerprint"], token=row["token"], answer=answer)

    _answer_idempotency_key = Query(
        "UPDATE idempotency_keys SET answer = :answer, answer_version = :answer_version"
        f" WHERE {_OF_KEY} AND token = :token AND answer IS NULL RETURNING token"
    )

    async def insert_answering(
        self, new: NewConversation, claim: IdempotencyClaim
    ) -> Versioned | None:
        try:
            async with self._transaction() as session:
                row = await session.one(self._insert, self._new(new, is_default=False))
                created = self._versioned(row)
                conversation = created.conversation
                params = {
                    "organization_id": claim.organization_id,
                    "key": claim.key,
                    "token": claim.token,
                    "answer": conversation.__pydantic_serializer__.to_json(conversation).decode(),
                    "answer_version": created.version,
                }
                if await session.one(self._answer_idempotency_key, params) is None:
                    raise _ClaimLost
        except _ClaimLost:
            return None  # rolled back: no conversation without its answer
        return created

    _release_idempotency_key = Query(
        f"DELETE FROM idempotency_keys WHERE {_OF_KEY} AND token = :token AND answer IS NULL"
    )

    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None:
        params = {
            "organization_id": claim.organization_id,
            "key": claim.key,
            "token": claim.token,
        }
        async with self._connection() as session:
            await session.run(self._release_idempotency_key, params)

    @functools.cached_property
    def _purge_idempotency_keys(self) -> Query:
        return Query(
            "DELETE FROM idempotency_keys WHERE (organization_id, key) IN"
            " (SELECT organization_id, key FROM idempotency_keys WHERE expires_at <= :now"
            f" ORDER BY expires_at LIMIT :limit{self.dialect.skip_locked}) RETURNING key"
        )

    async def purge_idempotency_keys(self, now: datetime, limit: int) -> int:
        async with self._connection() as session:
            purged = await session.all(
                self._purge_idempotency_keys, {"now": self._time(now), "limit": limit}
            )
        return len(purged)
