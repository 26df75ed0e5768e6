"""GET /metrics: Prometheus' text format, without a key, on the API's own port (unless
`serve --metrics-port` gives it a listener of its own)."""

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.problems import MethodNotAllowed, response
from server_impl.observability.metrics import CONTENT_TYPE, Metrics

PATH = "/metrics"
ALLOW = "GET, HEAD"


class MetricsEndpoint:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            # The path is served, so another method is a 405 naming those it takes, not a 404.
            await response(MethodNotAllowed(scope["method"], ALLOW))(scope, receive, send)
            return
        body = self.metrics.exposition()
        headers = [
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
