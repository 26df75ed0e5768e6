"""X-Request-Id on every answer, so that a user can quote it; problems.render puts it in every
problem body."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_impl.api.headers import raw_header
from server_impl.observability import request_id

_HEADER = request_id.HEADER.lower().encode()


class RequestId:
    """Outermost: every response, whoever made it, passes through here.

    It chooses the request's id (request_id.current, which logs and problems.render read) and
    adds the header to every answer's head; bodies pass as they are.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = request_id.chosen(raw_header(scope["headers"], _HEADER))
        token = request_id.current.set(chosen)
        value = chosen.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # A handler's answer has it already (handlers.py), with this value.
                if all(name != _HEADER for name, _ in headers):
                    message = {**message, "headers": [*headers, (_HEADER, value)]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.current.reset(token)
