"""Swagger UI's router consulted only for documentation paths.

connexion 3.3 matches every request against the documentation routes (a Starlette Router with
a Mount per API) before passing it on. Any other path would fall through that router to the API
anyway, so DocsOnlySwaggerUI sends only the documentation paths into it, matched exactly: the
spec files connexion serves by default and the UI folder (its page and static files).
"""

from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.types import Receive, Scope, Send

SPEC_FILES = ("/openapi.json", "/openapi.yaml")
UI_FOLDER = "/ui"


class DocsOnlySwaggerUI(SwaggerUIMiddleware):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files: set[str] = set()
        self._folders: list[str] = []

    def add_api(self, specification: Any, base_path: str | None = None, **kwargs: Any) -> None:
        super().add_api(specification, base_path=base_path, **kwargs)
        # The mount connexion just added for this API says where its documentation is served.
        root = self.router.routes[-1].path
        self._files.update(root + name for name in SPEC_FILES)
        self._files.add(root + UI_FOLDER)
        self._folders.append(root + UI_FOLDER + "/")

    def serves(self, path: str) -> bool:
        """Whether path is one of the documentation's."""
        return path in self._files or path.startswith(tuple(self._folders))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.serves(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
