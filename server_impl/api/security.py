"""Who is acting: the spec's ``bearerAuth`` scheme checked against the stored API keys.

connexion calls the check (through connexion_adaptations.bearer) before a handler runs and
keeps what it returns in the request's context, where handlers read the acting user.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.context import context

from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.ports import KeyStore

TokenInfo = dict[str, Any]
TokenCheck = Callable[[str], Awaitable[TokenInfo | None]]


def token_check(store: KeyStore) -> TokenCheck:
    """A presented key → connexion's token info (None when the key acts as nobody)."""

    async def token_info(token: str) -> TokenInfo | None:
        actor = await keys.actor_for(store, token)
        return None if actor is None else {"sub": actor.user_id, "actor": actor}

    return token_info


def acting_user() -> Actor:
    """The user whose API key authenticated the current request."""
    actor = context["token_info"]["actor"]
    assert isinstance(actor, Actor), "every operation of the spec requires bearerAuth"
    return actor
