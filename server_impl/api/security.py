"""Who is acting: the spec's ``bearerAuth`` scheme checked against the stored API keys.

connexion calls the check (through connexion_adaptations.bearer) before a handler runs and
keeps what it returns in the request's context, where handlers read the acting user and the
access log the key id.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.context import context

from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.ports import KeyStore

TokenInfo = dict[str, Any]
TokenCheck = Callable[[str], Awaitable[TokenInfo | keys.Refusal]]


def token_check(store: KeyStore) -> TokenCheck:
    """A presented key → connexion's token info, or why the key acts as nobody."""

    async def token_info(token: str) -> TokenInfo | keys.Refusal:
        outcome = await keys.authenticate(store, token)
        if isinstance(outcome, str):
            return outcome
        return {"sub": outcome.actor.user_id, "actor": outcome.actor, "key_id": outcome.key_id}

    return token_info


def acting_user() -> Actor:
    """The user whose API key authenticated the current request."""
    actor = context["token_info"]["actor"]
    assert isinstance(actor, Actor), "every operation of the spec requires bearerAuth"
    return actor
