"""The innermost ASGI app: runs the handler of the operation connexion routed the request to.

connexion serves as middleware here (routing, security and validation from openapi.yaml), and
this replaces its own application layer, which re-inspects and re-wraps the handler on every
request. It reads the operation connexion's routing middleware chose from the scope extension
that middleware writes (``connexion_routing``), and hands the handler the Starlette request.
"""

from collections.abc import Awaitable, Callable, Mapping

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server_impl.api.problems import PathNotFound

Handler = Callable[[Request], Awaitable[Response]]
ROUTING = ROUTING_CONTEXT
"""The scope extension where connexion's routing writes the operation it chose."""


def routed_operation_id(scope: Scope) -> str | None:
    """The operationId connexion routed this request to; None when no operation matched."""
    routing: Mapping[str, str] = scope.get("extensions", {}).get(ROUTING, {})
    return routing.get("operation_id")


class Dispatcher:
    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        handler = self.handlers.get(routed_operation_id(scope) or "")
        if handler is None:
            raise PathNotFound(scope["path"])
        response = await handler(Request(scope, receive))
        await response(scope, receive, send)
