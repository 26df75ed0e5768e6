"""An answer given before the request's body was read closes the connection, lingeringly."""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LINGER_S = 2.0
"""How long, at most, the rest of an unread body is read and discarded after an early answer."""
LINGER_BYTES = 16 * 1024 * 1024
"""How much of it, at most."""

_CLOSE = (b"connection", b"close")


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b" 0")):
            return True
    return False


def _expects_continue(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"expect" and value.lower() == b"100-continue" for name, value in headers)


class UnreadBodyCloses:
    """Closes the connection of a request answered before its whole body was read (401, 404,
    413, ...), so that the rest of the body is never read as the next request.

    The answer says ``Connection: close``. A client that was asked for the body (no
    ``Expect: 100-continue``, or "100 Continue" sent) may still be sending it: closing a socket
    with unread bytes resets the connection, and the reset can destroy the answer before the
    client reads it (urllib saw a broken pipe instead of a 413 about one time in ten). So, as
    nginx's lingering close does, the answer is sent whole, then the rest of the body is read
    and discarded for at most ``linger_s`` seconds and ``linger_bytes`` bytes, then the answer
    ends and the connection closes. A client told to wait for "100 Continue" sends no body, so
    its connection closes at once.
    """

    def __init__(
        self, app: ASGIApp, *, linger_s: float = LINGER_S, linger_bytes: int = LINGER_BYTES
    ) -> None:
        self.app = app
        self.linger_s = linger_s
        self.linger_bytes = linger_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope["headers"]):
            await self.app(scope, receive, send)
            return
        asked = complete = linger = held = False

        async def tracked_receive() -> Message:
            nonlocal asked, complete
            asked = True
            message = await receive()
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def closing_send(message: Message) -> None:
            nonlocal linger, held
            if message["type"] == "http.response.start" and not complete:
                headers = list(message.get("headers", []))
                # uvicorn sends 100 Continue on the first read: without it, no body is coming.
                sending = asked or not _expects_continue(scope["headers"])
                # Held back, the end of an answer without a length would hold all of it back.
                linger = sending and any(name == b"content-length" for name, _ in headers)
                if _CLOSE not in headers:
                    headers.append(_CLOSE)
                message = {**message, "headers": headers}
            elif (
                linger
                and message["type"] == "http.response.body"
                and not message.get("more_body", False)
            ):
                # Its bytes go out now; its end, on which the server closes, waits.
                held = True
                message = {**message, "more_body": True}
            await send(message)

        await self.app(scope, tracked_receive, closing_send)
        if held:
            await self._discard(receive)
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _discard(self, receive: Receive) -> None:
        discarded = 0
        try:
            async with asyncio.timeout(self.linger_s):
                while discarded <= self.linger_bytes:
                    message = await receive()
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        return
                    discarded += len(message.get("body", b""))
        except TimeoutError:
            pass
