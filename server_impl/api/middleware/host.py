"""Exactly one Host field (RFC 9112, 3.2)."""

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.problems import MissingOrRepeatedHost, response


class OneHost:
    """Answers 400 to an HTTP/1.1 request without a Host field, and to any request with more
    than one, as RFC 9112 requires: the server cannot tell which resource such a request names,
    and a proxy in front may have read another Host than this server would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            count = 0
            for name, _ in scope["headers"]:
                count += name == b"host"
            if count > 1 or (count == 0 and scope["http_version"] == "1.1"):
                await response(MissingOrRepeatedHost(count))(scope, receive, send)
                return
        await self.app(scope, receive, send)
