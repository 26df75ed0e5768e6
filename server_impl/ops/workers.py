"""`serve --workers N` for N > 1: N server processes under gunicorn, connections spread evenly.

uvicorn's own `--workers` hands one listening socket to every process. Linux then wakes the
process that waited last for each new connection, so a burst of keep-alive connections (a proxy
or a client pool opening its pool) lands on one worker while the others idle. gunicorn's
`reuse_port` gives each worker a listener of its own in one SO_REUSEPORT group, which the kernel
balances by connection hash; gunicorn also replaces a worker that dies.
"""

import logging
import math
import os
import shutil
import socket
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from server_impl.observability import logs
from server_impl.settings import Settings

from .metrics_listener import MetricsListener
from .serving import claim_port, uvicorn_options

UPSTREAM: dict[str, tuple[str, str]] = {
    # What reads CONFIG_KWARGS: (release checked against, testbed.upstream fingerprint).
    "uvicorn_worker._workers.UvicornWorker.__init__": ("0.4.0", "397881011b83"),
}


class ServerWorker(UvicornWorker):
    """One worker process: the same event loop, protocol and limits as a single-process `serve`.

    Fenced by ``UPSTREAM`` (tests/ops/test_workers.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # uvicorn-worker's way to give uvicorn options: its __init__ builds the config from
        # CONFIG_KWARGS, over what it reads from gunicorn's settings.
        self.CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, **uvicorn_options(Settings())}
        super().__init__(*args, **kwargs)


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, metrics_socket: socket.socket | None) -> None:
        self._settings = settings
        self._metrics_socket = metrics_socket
        self._metrics_listener: MetricsListener | None = None
        super().__init__()

    def load_config(self) -> None:
        settings = self._settings
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        options: dict[str, Any] = {
            "bind": [f"{host}:{settings.port}"],
            "workers": settings.workers,
            "worker_class": f"{__name__}.ServerWorker",
            "reuse_port": True,
            # gunicorn's runtime control socket: one per-user path for every instance, unused here.
            "control_socket_disable": True,
            "loglevel": settings.log_level,
            # The arbiter's lines as the workers' (logs.py); the access line is the app's own.
            "logconfig_dict": logs.config(settings.log_format, settings.log_level),
            "accesslog": None,
            # A worker stops within the grace period by itself; this margin is for its exit.
            "graceful_timeout": math.ceil(settings.shutdown_grace_s) + 5,
            "child_exit": _child_exit,
            "when_ready": self._start_metrics_listener,
            "on_exit": self._stop_metrics_listener,
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from server_impl.api.app import app_from_environment

        return app_from_environment()

    def _start_metrics_listener(self, _arbiter: Any) -> None:
        if self._metrics_socket is None:
            return
        from server_impl.observability import metrics

        self._metrics_listener = MetricsListener(
            self._settings, metrics.shared_registry(), self._metrics_socket
        )
        self._metrics_listener.start()

    def _stop_metrics_listener(self, _arbiter: Any) -> None:
        # Once the workers have stopped.
        if self._metrics_listener is not None:
            self._metrics_listener.stop()


def _child_exit(_arbiter: Any, worker: Any) -> None:
    from server_impl.observability import metrics

    metrics.worker_exited(worker.pid)


def serve(settings: Settings, metrics_socket: socket.socket | None = None) -> None:
    """Run `settings.workers` worker processes until told to stop (SIGTERM or SIGINT), and the
    --metrics-port listener on metrics_socket (claimed and bound), if given.

    Each worker binds the port itself, so port 0 (any free port) would give each another one.
    Raises PortUnavailable when another server listens there: its workers' sockets would share
    the port with these, splitting the traffic between two servers.
    """
    claim_port(settings.host, settings.port).close()
    # gunicorn's own banner shows no address: the workers, not the arbiter, bind it.
    logging.getLogger("conversations.serve").info(
        "Serving on http://%s:%d with %d workers", settings.host, settings.port, settings.workers
    )
    if not settings.metrics:
        _Gunicorn(settings, metrics_socket).run()
        return
    # The workers share their metrics through files in a folder of this run's own.
    folder = tempfile.mkdtemp(prefix="conversations-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        _Gunicorn(settings, metrics_socket).run()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
