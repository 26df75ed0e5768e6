"""Bodies framed by Content-Length or chunked alone (RFC 9112, 6.1)."""

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.problems import TransferCodingNotImplemented, response


class ChunkedOnly:
    """Answers 501 to a request whose Transfer-Encoding names a coding other than chunked.

    The HTTP server decodes chunked only and hands the app the bytes of any other coding as if
    they were the body (``gzip, chunked`` was read as plain JSON); RFC 9112 asks for 501.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name != b"transfer-encoding":
                    continue
                for coding in value.decode("latin-1").split(","):
                    coding = coding.strip()
                    if coding and coding.lower() != "chunked":
                        await response(TransferCodingNotImplemented(coding))(scope, receive, send)
                        return
        await self.app(scope, receive, send)
