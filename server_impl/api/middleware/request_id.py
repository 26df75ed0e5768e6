"""X-Request-Id on every answer, and in every problem body, so that a user can quote it."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_impl.api.headers import raw_header
from server_impl.observability import request_id

_HEADER = request_id.HEADER.lower().encode()
_PROBLEM = b"application/problem+json"


class RequestId:
    """Outermost: every response, whoever made it, passes through here.

    A problem's body gets ``request_id``; it is small and written once, so it is read whole,
    changed and sent with its new length.
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
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_id(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                problem = has_id = False
                for name, content in headers:
                    if name == b"content-type":
                        problem = content.startswith(_PROBLEM)
                    elif name == _HEADER:
                        # A handler's answer has it already (handlers.py), with this value.
                        has_id = True
                if not has_id:
                    headers.append((_HEADER, value))
                message = {**message, "headers": headers}
                if problem:
                    start = message  # sent with the body, whose length changes
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._send_problem(send, start, b"".join(body), chosen)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.current.reset(token)

    @staticmethod
    async def _send_problem(send: Send, start: Message, body: bytes, chosen: str) -> None:
        try:
            problem = json.loads(body)
        except ValueError:
            problem = None
        if isinstance(problem, dict):
            problem["request_id"] = chosen
            body = json.dumps(problem).encode()
        headers = [(n, v) for n, v in start["headers"] if n != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
