"""The spec's ``bearerAuth`` scheme, checked by a function given in code, not named in the spec.

connexion 3.3 looks a bearer check up by the Python path written in the spec
(``x-bearerInfoFunc``) and wraps it in a generic caller that inspects its signature on every
request. This handler class, given to connexion's ``security_map``, resolves to the check it is
made with and calls it directly: no module paths in openapi.yaml, no per-request inspection.

connexion reads the first Authorization header; a request with more than one is refused (400)
rather than acting as whichever came first. Every refusal is reported, with its reason, to
``refused`` (the authentication failures metric).
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.exceptions import OAuthProblem, OAuthResponseProblem
from connexion.lifecycle import ConnexionRequest
from connexion.security import NO_VALUE, BearerSecurityHandler

from server_impl.api.problems import MoreThanOneAuthorization
from server_impl.api.security import TokenCheck, TokenInfo

CONTEXT = "connexion_context"
"""The scope extension where connexion's security keeps the token info a check returned for a
request (``ConnexionRequest.context``); fenced by tests/api/connexion_adaptations/test_fence.py."""


def token_info(extensions: Mapping[str, Any]) -> TokenInfo | None:
    """The token info the bearer check returned for the request with these scope extensions;
    None before the check ran, or when it refused."""
    info: TokenInfo | None = extensions.get(CONTEXT, {}).get("token_info")
    return info


def _not_counted(_reason: str) -> None:
    pass


def bearer_handler(
    check: TokenCheck, refused: Callable[[str], None] | None = None
) -> type[BearerSecurityHandler]:
    report = refused or _not_counted

    class ApiKeyBearerHandler(BearerSecurityHandler):
        def _resolve_func(self, _scheme: dict[str, Any]) -> Callable[..., Awaitable[Any]]:
            return check

        def _get_verify_func(self, _function: Any) -> Callable[..., Awaitable[Any]]:
            async def verify(request: ConnexionRequest) -> Any:
                if len(request.headers.getlist("authorization")) > 1:
                    report("ambiguous")
                    raise MoreThanOneAuthorization()
                try:
                    scheme, token = self.get_auth_header_value(request)
                except OAuthProblem:
                    report("malformed")
                    raise
                if scheme != "bearer":
                    # connexion answers 401 once no scheme of the operation applies.
                    report("missing" if scheme is None else "malformed")
                    return NO_VALUE
                info = await check(token)
                if isinstance(info, str):
                    report(info)
                    raise OAuthResponseProblem(detail="Provided token is not valid")
                return info

            return verify

    return ApiKeyBearerHandler
