"""405 with an Allow header naming every method of a path."""

from collections.abc import Iterable, Mapping

from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.problems import MethodNotAllowed


class AllowedMethods:
    """Answers 405 with an ``Allow`` header naming every method the spec gives a path.

    connexion routes each operation separately, so on its own it answers 405 with only the
    methods of the first operation of the path it finds (``OPTIONS`` on an item lists GET but
    not PATCH or DELETE).
    """

    def __init__(self, app: ASGIApp, *, methods_by_path: Mapping[str, Iterable[str]]) -> None:
        self.app = app
        self.paths = []
        for path, methods in methods_by_path.items():
            allowed = {method.upper() for method in methods}
            if "GET" in allowed:
                allowed.add("HEAD")
            self.paths.append((compile_path(path)[0], allowed, ", ".join(sorted(allowed))))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for pattern, allowed, allow_header in self.paths:
                if scope["method"] not in allowed and pattern.match(scope["path"]):
                    raise MethodNotAllowed(scope["method"], allow_header)
        await self.app(scope, receive, send)
