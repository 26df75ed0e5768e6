"""The request body size limit (413)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_impl.api.headers import raw_header
from server_impl.api.problems import ContentTooLarge


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
