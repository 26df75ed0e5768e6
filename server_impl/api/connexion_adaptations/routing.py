"""Routing without Starlette's trailing-slash redirects.

connexion 3.3 routes with Starlette routers, which answer a path that matches only with its
trailing slash toggled by a 307 to a URL built from the client's Host header, for any method and
before authentication (``PATCH /v1/conversations/conv-…/`` → ``http://<Host>/v1/…``). Without
them such a path is unknown like any other: a 404 problem. The collections the spec declares
with a trailing slash are also served without it, by ``middleware.CollectionWithoutSlash``.
"""

from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from starlette.routing import Mount, Router


def _without_slash_redirects(router: Router) -> None:
    router.redirect_slashes = False
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            _without_slash_redirects(route.app)


class NoSlashRedirectRouting(RoutingMiddleware):
    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        # The API's own router is mounted in this middleware's.
        _without_slash_redirects(self.router)
