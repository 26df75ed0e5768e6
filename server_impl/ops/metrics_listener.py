"""`serve --metrics-port`: the metrics on a listener of their own, with the API port's limits.

The listener is uvicorn with the same limited protocol (protocol/) and the same head, body,
keep-alive and shutdown settings as the API's port, serving prometheus-client's ASGI app, in a
thread with an event loop of its own: a scrape, or clients holding this port, never wait on the
API's loop, nor it on theirs. A single process runs it beside its API; with --workers N the
gunicorn arbiter runs it, reading every worker's figures (workers.py). Its socket is claimed by
`serve` before anything is served (serve_command.py), as the API's is.
"""

import logging
import socket
import threading
from dataclasses import replace

import uvicorn
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.middleware.observed import REFUSED
from server_impl.settings import Settings

from .protocol import LimitedHttpToolsProtocol
from .serving import uvicorn_options

MAX_CONNECTIONS = 16
"""The most open connections of the listener, whatever --max-connections says; past it, the
longest idle one is closed, as on the API's port. Prometheus keeps one connection per scraper,
so 16 leaves room for several; and they fit in the file descriptors that settings.py keeps
aside from the API's clients (DESCRIPTORS_KEPT), so that clients of this port never take the
API's."""


LOG = logging.getLogger("conversations.serve")


def scrapes(registry: CollectorRegistry) -> ASGIApp:
    """prometheus-client's app: registry's figures at any path, as Accept and Accept-Encoding
    ask (OpenMetrics, gzip)."""
    exposition = make_asgi_app(registry)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # The protocol hands its refusals (431, 400, 503) to the app to answer (protocol/).
        refusal = scope.get("extensions", {}).get(REFUSED)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        # It decodes Accept and Accept-Encoding as UTF-8: a value that is not was a 500 and a
        # logged traceback. Both are ASCII tokens, so another value is no value of theirs.
        headers = [(name, value) for name, value in scope["headers"] if value.isascii()]
        await exposition({**scope, "headers": headers}, receive, send)

    return app


class MetricsListener:
    """Serves registry's figures on sock (bound, not yet listening) from start() to stop()."""

    def __init__(self, settings: Settings, registry: CollectorRegistry, sock: socket.socket):
        options = uvicorn_options(settings)
        api_protocol: type[LimitedHttpToolsProtocol] = options["http"]
        limits = replace(api_protocol.limits, max_connections=MAX_CONNECTIONS)
        options.update(http=LimitedHttpToolsProtocol.with_limits(limits), lifespan="off")
        config = uvicorn.Config(scrapes(registry), **options)
        # What uvicorn imports as it starts (its lifespan and loop modules), imported here rather
        # than on the thread: a worker forked while the thread held a module's import lock
        # waited on it forever, answering nothing.
        config.load()
        config.get_loop_factory()
        self._server = uvicorn.Server(config)
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        self._address = f"http://{host}:{sock.getsockname()[1]}/metrics"
        self._socket, self._backlog = sock, config.backlog
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="metrics", daemon=True
        )

    def start(self) -> None:
        # Listening before the thread's loop takes the socket, so that a scrape as soon as this
        # returns waits in the backlog rather than being refused.
        self._socket.listen(self._backlog)
        self._thread.start()
        LOG.info("Serving metrics on %s", self._address)

    def stop(self) -> None:
        """Stops accepting, closes idle connections, and lets scrapes in flight finish."""
        # uvicorn's server checks this flag every 0.1 s; it takes no signal outside the main
        # thread.
        self._server.should_exit = True
        self._thread.join()
