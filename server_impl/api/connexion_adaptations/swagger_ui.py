"""Swagger UI's router consulted only for documentation paths, and the spec files made once.

connexion 3.3 matches every request against the documentation routes (a Starlette Router with
a Mount per API) before passing it on. Any other path would fall through that router to the API
anyway, so DocsOnlySwaggerUI sends only the documentation paths into it, matched exactly: the
spec files connexion serves by default and the UI folder (its page and static files).

connexion writes the spec files anew for every request (SwaggerUIAPI._get_openapi_json and
_get_openapi_yaml), on the event loop, for anyone, since they need no key: the dereferenced
spec is about 2 MB, and its YAML took 1.17 s of CPU a request, during which no other request
of the process was served. Each is a function of the request's path and root path only (a
HEAD is a GET without the body), so DocsOnlySwaggerUI keeps the first answer to each and
replays it.
"""

from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.types import Message, Receive, Scope, Send

SPEC_FILES = ("/openapi.json", "/openapi.yaml")
UI_FOLDER = "/ui"
READ = ("GET", "HEAD")
"""The methods a kept answer is replayed to: the server sends no body to a HEAD."""
KEPT = 16
"""Answers kept at most: the spec files of each root path (the server's, not the client's, to
choose), so a handful."""


class DocsOnlySwaggerUI(SwaggerUIMiddleware):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files: set[str] = set()
        self._folders: list[str] = []
        self._spec_files: set[str] = set()
        self._kept: dict[tuple[str, str], list[Message]] = {}

    def add_api(self, specification: Any, base_path: str | None = None, **kwargs: Any) -> None:
        super().add_api(specification, base_path=base_path, **kwargs)
        # The mount connexion just added for this API says where its documentation is served.
        root = self.router.routes[-1].path
        self._files.update(root + name for name in SPEC_FILES)
        self._spec_files.update(root + name for name in SPEC_FILES)
        self._files.add(root + UI_FOLDER)
        self._folders.append(root + UI_FOLDER + "/")

    def serves(self, path: str) -> bool:
        """Whether path is one of the documentation's."""
        return path in self._files or path.startswith(tuple(self._folders))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if not self.serves(path):
                await self.app(scope, receive, send)
                return
            if path in self._spec_files and scope["method"] in READ:
                await self._spec_file(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _spec_file(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = (scope["path"], scope.get("root_path", ""))
        answer = self._kept.get(key)
        if answer is None:
            answer = []

            async def keep(message: Message) -> None:
                answer.append(message)

            await super().__call__(scope, receive, keep)
            if answer[0]["status"] == 200 and len(self._kept) < KEPT:
                self._kept[key] = answer
        for message in answer:
            # A copy: the layers outside add their own headers to the one they are sent.
            await send(
                {**message, "headers": list(message["headers"])}
                if "headers" in message
                else dict(message)
            )
