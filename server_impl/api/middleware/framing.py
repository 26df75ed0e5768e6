"""The request message as RFC 9112 frames it: one Host, chunked alone, and a body that an
early answer left unread."""

import asyncio

from connexion.exceptions import ProblemException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_impl.api.problems import MissingOrRepeatedHost, TransferCodingNotImplemented, response

from .observed import REFUSED

LINGER_S = 2.0
"""How long, at most, the rest of an unread body is read and discarded after an early answer."""
LINGER_BYTES = 16 * 1024 * 1024
"""How much of it, at most."""

_CLOSE = (b"connection", b"close")


def _other_coding(value: bytes) -> str | None:
    """The first transfer coding of a Transfer-Encoding value other than chunked, if any."""
    for coding in value.decode("latin-1").split(","):
        coding = coding.strip()
        if coding and coding.lower() != "chunked":
            return coding
    return None


def _expects_continue(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"expect" and value.lower() == b"100-continue" for name, value in headers)


class RequestFraming:
    """Reads the head's fields once, for three rules of RFC 9112 that concern every request,
    whatever its path (one pass, one layer: this runs on every request).

    An HTTP/1.1 request without a Host field, or any request with more than one, is a 400
    (3.2): the server cannot tell which resource it names, and a proxy in front may have read
    another Host than this server would. A transfer coding other than chunked is a 501 (6.1):
    the HTTP server decodes chunked only and hands the app the bytes of any other coding as if
    they were the body (``gzip, chunked`` was read as plain JSON). Such a refusal is the app's
    answer, run by Observed as the scope's ``REFUSED`` extension, so that it is logged, counted
    and given its request id like any other.

    A request answered before its whole body was read (401, 404, 413, ...) has its connection
    closed, so that the rest of the body is never read as the next request.

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
        extensions = scope.get("extensions") or {}
        if scope["type"] != "http" or REFUSED in extensions:
            # The HTTP server's refusal, which closes the connection, may have read no field.
            await self.app(scope, receive, send)
            return
        hosts = 0
        has_body = False
        other_coding = None
        for name, value in scope["headers"]:
            if name == b"host":
                hosts += 1
            elif name == b"content-length":
                has_body = has_body or bool(value.strip(b" 0"))
            elif name == b"transfer-encoding":
                has_body = True
                other_coding = other_coding or _other_coding(value)
        refusal: ProblemException | None = None
        if hosts > 1 or (hosts == 0 and scope["http_version"] == "1.1"):
            refusal = MissingOrRepeatedHost(hosts)
        elif other_coding is not None:
            refusal = TransferCodingNotImplemented(other_coding)
        if refusal is not None:
            scope = {**scope, "extensions": {**extensions, REFUSED: response(refusal)}}
        if not has_body:
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
