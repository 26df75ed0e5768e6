"""Small ASGI middlewares that sit in front of connexion's routing."""

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .headers import raw_header
from .problems import ContentTooLarge, MethodNotAllowed


class BodySizeLimit:
    """Answers 413 once a body passes ``max_bytes``, without reading the rest of it.

    A declared ``Content-Length`` over the limit fails before any byte is read; a chunked body
    fails as soon as the bytes received so far pass it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = raw_header(scope["headers"], b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise ContentTooLarge(self.max_bytes)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ContentTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class CollectionWithoutSlash:
    """Serves a collection path declared with a trailing slash (``/conversations/``, as
    upstream) also without it, instead of redirecting."""

    def __init__(self, app: ASGIApp, *, collection_paths: Iterable[str]) -> None:
        self.app = app
        self.aliases = {path.rstrip("/"): path for path in collection_paths if path.endswith("/")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.aliases.get(scope.get("path", ""))
        if target is not None:
            scope = _with_path(scope, target)
        await self.app(scope, receive, send)


def _with_path(scope: Scope, path: str) -> dict[str, Any]:
    return {**scope, "path": path, "raw_path": path.encode()}


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
