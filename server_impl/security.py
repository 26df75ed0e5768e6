"""Bearer API keys as connexion's security handler for the spec's ``bearerAuth`` scheme."""

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.exceptions import OAuthProblem, OAuthResponseProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem
from connexion.security import NO_VALUE, BearerSecurityHandler

from . import keys
from .storage import KeyStore

TokenInfo = dict[str, Any]


def bearer_handler(store: KeyStore) -> type[BearerSecurityHandler]:
    """A handler class for connexion's ``security_map``, checking keys against ``store``.

    connexion would otherwise look the check up by a Python path written in the spec
    (``x-bearerInfoFunc``); this keeps module paths out of openapi.yaml.
    """

    async def token_info(token: str) -> TokenInfo | None:
        actor = await keys.actor_for(store, token)
        return None if actor is None else {"sub": actor.user_id, "actor": actor}

    class ApiKeyBearerHandler(BearerSecurityHandler):
        def _resolve_func(self, _scheme: dict[str, Any]) -> Callable[..., Awaitable[Any]]:
            return token_info

        def _get_verify_func(self, _function: Any) -> Callable[..., Awaitable[Any]]:
            # connexion's generic wrapper inspects the check's signature on every request.
            async def verify(request: ConnexionRequest) -> Any:
                scheme, token = self.get_auth_header_value(request)
                if scheme != "bearer":
                    return NO_VALUE
                info = await token_info(token)
                if info is None:
                    raise OAuthResponseProblem(detail="Provided token is not valid")
                return info

            return verify

    return ApiKeyBearerHandler


def unauthorized(_request: ConnexionRequest, error: OAuthProblem) -> ConnexionResponse:
    """Every 401 says which scheme to use (RFC 9110, 11.6.1)."""
    return problem(
        status=401,
        title="Unauthorized",
        detail=f"{error.detail}. Send an API key as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="conversations"'},
    )
