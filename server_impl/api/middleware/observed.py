"""Each request, once answered: one access log line and the request metrics."""

import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_impl.api.connexion_adaptations.bearer import token_info
from server_impl.api.connexion_adaptations.dispatch import routed_operation_id
from server_impl.observability import logs
from server_impl.observability.metrics import Metrics, PoolReader

UNMATCHED = "unmatched"
"""The operation of a request no operation of the spec matched (404, 405, the docs)."""
REFUSED = "refused"
"""The operation of a request refused for how it is framed, by the HTTP server
(server_impl/ops/protocol/) or by RequestFraming: its answer, an ASGI app, is the scope's
extension of this name, run here in place of the app so that the refusal is logged, counted and
given its request id like any other answer."""


class Observed:
    """Times each request from its arrival to the end of its answer, then logs and counts it.

    routes maps each operationId to the path template it is served at: the line names the
    route, never the raw path, which may hold anything a client sent. The request id comes
    with every line of the request (server_impl/observability/logs.py).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Mapping[str, str],
        metrics: Metrics | None,
        pool: PoolReader | None = None,
        paths: Mapping[str, str] | None = None,
    ) -> None:
        """paths names the operation of paths served beside the spec's (/metrics); without
        metrics, requests are only logged."""
        self.app = app
        self.routes = routes
        self.metrics = metrics
        if metrics and pool is not None:
            metrics.measure_pool(pool)
        self.paths = paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter_ns()
        # connexion's routing and security write into the scope's extensions; a layer between
        # may copy the scope, but not this dict, where they are read once the answer is sent.
        extensions = scope.setdefault("extensions", {})
        status = 500  # what the server answers when the app fails before answering
        metrics = self.metrics
        if metrics:
            metrics.started()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        refusal = extensions.get(REFUSED)
        try:
            await (refusal or self.app)(scope, receive, send_observed)
        finally:
            elapsed_ns = time.perf_counter_ns() - started
            operation = (
                REFUSED
                if refusal
                else routed_operation_id(scope) or self.paths.get(scope["path"]) or UNMATCHED
            )
            if metrics:
                metrics.finished(operation, status, elapsed_ns / 1e9)
            if (access := logs.access) is not None:
                info = token_info(extensions)
                actor = info.get("actor") if info else None
                client = scope.get("client")
                access(
                    scope["method"],
                    self.routes.get(operation, "-"),
                    operation,
                    status,
                    (elapsed_ns + 500) // 1000,  # µs
                    info.get("key_id") if info else None,
                    actor.organization_id if actor else None,
                    client[0] if client else None,
                )
