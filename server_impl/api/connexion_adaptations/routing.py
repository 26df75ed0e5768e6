"""Routing without Starlette's trailing-slash redirects, and with the routes matched directly.

connexion 3.3 routes with Starlette routers, which answer a path that matches only with its
trailing slash toggled by a 307 to a URL built from the client's Host header, for any method and
before authentication (``PATCH /v1/conversations/conv-…/`` → ``http://<Host>/v1/…``). Without
them such a path is unknown like any other: a 404 problem. The collections the spec declares
with a trailing slash are also served without it, by ``middleware.CollectionWithoutSlash``.

A request that names a route and one of its methods is matched against the routes connexion
built, with their own compiled patterns and converters, in one loop, and handed on with the
scope connexion's ``RoutingOperation`` makes: a copy of the request's scope, with the path
parameters and the ``connexion_routing`` extension, for less than Starlette's Router, Mount and
Route spend on the same match. Anything else (no route, or a route without that method) still
goes through Starlette's routers, unchanged.
"""

import re
from dataclasses import dataclass
from typing import Any

from connexion.middleware.abstract import ROUTING_CONTEXT
from connexion.middleware.routing import RoutingMiddleware, RoutingOperation
from starlette.convertors import Convertor
from starlette.routing import Mount, Route, Router
from starlette.types import Receive, Scope, Send


def _without_slash_redirects(router: Router) -> None:
    router.redirect_slashes = False
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            _without_slash_redirects(route.app)


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    convertors: dict[str, Convertor[Any]]
    operation_id: str | None


@dataclass(frozen=True)
class _Api:
    base_path: str
    prefix: re.Pattern[str]
    routes: tuple[_Route, ...]


def _apis(router: Router) -> tuple[_Api, ...]:
    """Each mounted API's routes, as connexion added them: one per path and method, in order."""
    apis = []
    for mount in router.routes:
        if not (isinstance(mount, Mount) and isinstance(mount.app, Router)):
            continue
        routes = tuple(
            _Route(
                route.path_regex,
                frozenset(route.methods or ()),
                route.param_convertors,
                route.endpoint.operation_id,
            )
            for route in mount.app.routes
            if isinstance(route, Route) and isinstance(route.endpoint, RoutingOperation)
        )
        apis.append(_Api(mount.path, mount.path_regex, routes))
    return tuple(apis)


class NoSlashRedirectRouting(RoutingMiddleware):
    _apis: tuple[_Api, ...] = ()

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        # The API's own router is mounted in this middleware's.
        _without_slash_redirects(self.router)
        self._apis = _apis(self.router)

    def route(self, scope: Scope) -> Scope | None:
        """The scope connexion's routing hands on for a request naming a route and one of its
        methods; None for any other request."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        path, method = scope["path"], scope["method"]
        for api in self._apis:
            mounted = api.prefix.match(path)
            if mounted is None:
                continue
            rest = "/" + mounted["path"]
            for route in api.routes:
                matched = route.pattern.match(rest)
                if matched is None or method not in route.methods:
                    continue
                routed = dict(scope)
                params = routed.setdefault("path_params", {})
                for name, value in matched.groupdict().items():
                    params[name] = route.convertors[name].convert(value)
                routing = routed.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {})
                routing.update({"api_base_path": api.base_path, "operation_id": route.operation_id})
                return routed
            # Starlette's routers look no further than the first mount that matches either.
            return None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routed = self.route(scope)
        if routed is None:
            await super().__call__(scope, receive, send)
            return
        # Where every RoutingOperation of connexion's hands it on.
        await self.app(routed, receive, send)
