"""Who is acting: the spec's ``bearerAuth`` scheme checked against the stored API keys.

connexion calls the check (through connexion_adaptations.bearer) before a handler runs and
keeps what it returns in the request's context, where handlers read the acting user and the
access log the key id. The key's rate limit is checked here too: the key is known only once
authenticated, and a request refused here has had nothing read or done for it.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from connexion.context import context

from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.ports import ApiKeyStore
from server_impl.domain.rate_limits import KeyRateLimiter, shown

from .problems import KeyOverRate

TokenInfo = dict[str, Any]
TokenCheck = Callable[[str], Awaitable[TokenInfo | keys.Refusal]]
LOG = logging.getLogger("conversations.limits")
KEY_RATE = "key_rate"
"""The reason of a refusal for a key's rate, in the limited-requests metric."""


def token_check(
    store: ApiKeyStore,
    limiter: KeyRateLimiter | None = None,
    limited: Callable[[str], None] | None = None,
) -> TokenCheck:
    """A presented key → connexion's token info, or why the key acts as nobody. A key over
    its rate limit (limiter) is refused here, 429, as soon as the key is known and before
    anything of the request is read or done; limited counts it (by reason, never by key)."""

    async def token_info(token: str) -> TokenInfo | keys.Refusal:
        outcome = await keys.authenticate(store, token)
        if isinstance(outcome, str):
            return outcome
        if limiter is not None and not limiter.spent(outcome.key_id, outcome.limit):
            refusal = await limiter.check(outcome.key_id, outcome.limit)
            if refusal is not None:
                if limited is not None:
                    limited(KEY_RATE)
                LOG.info(
                    "key %s is over its rate limit (%d at once, then %s): 429, retry after %d s",
                    outcome.key_id,
                    refusal.limit.burst,
                    shown(refusal.limit.rate_per_s),
                    refusal.retry_after_s,
                )
                raise KeyOverRate(refusal)
        return {"sub": outcome.actor.user_id, "actor": outcome.actor, "key_id": outcome.key_id}

    return token_info


def acting_user() -> Actor:
    """The user whose API key authenticated the current request."""
    actor = context["token_info"]["actor"]
    assert isinstance(actor, Actor), "every operation of the spec requires bearerAuth"
    return actor
