"""Collection paths served with and without their trailing slash."""

from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


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
