"""`serve`: the ports claimed and the app loaded before anything else, the first-start key
minted, then the API served by uvicorn in this process or by workers under gunicorn."""

import argparse
import asyncio
import logging
import sys
from typing import Any

import uvicorn

from server_impl import settings as settings_module
from server_impl.domain import keys
from server_impl.domain.ports import ApiKeyStore, Store
from server_impl.observability import logs
from server_impl.settings import Settings

from . import serving, workers
from .commands import settings_given, with_store
from .metrics_listener import MetricsListener
from .serve_options import SERVE_LIMITS, SERVE_OPERATIONS, add_options

LOG = logging.getLogger("conversations.serve")
BOOTSTRAP_ORGANIZATION = "default"
BOOTSTRAP_USER = "admin"


def add_command(commands: Any, database: argparse.ArgumentParser) -> None:
    """Adds `serve` to the parser's `commands`; database gives --database-url."""
    summary = (
        "Serves the API over HTTP until stopped. The schema must be current (run migrate first)."
    )
    serve = commands.add_parser("serve", parents=[database], help=summary, description=summary)
    add_options(serve)


async def _bootstrap_key(store: ApiKeyStore, settings: Settings, prog: str) -> None:
    """On first start, mint one key so the server is usable at once; shown only this once."""
    minted = await keys.mint_first(store, organization=BOOTSTRAP_ORGANIZATION, user=BOOTSTRAP_USER)
    if minted is None:
        return
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"No API key existed, so one was minted for user {BOOTSTRAP_USER!r} of organization"
        f" {BOOTSTRAP_ORGANIZATION!r}. It is shown only this once:\n\n"
        f"    {minted.key}\n\n"
        f"Send it as 'Authorization: Bearer <key>', or Letta(base_url={url!r}, api_key=<key>).\n"
        f"Mint more with: {prog} keys create --organization NAME --user NAME\n",
        flush=True,
    )


def run(args: argparse.Namespace, prog: str) -> int:
    settings = settings_given(
        args, "host", "port", "database_url", "workers", *SERVE_LIMITS, *SERVE_OPERATIONS
    )
    if settings.workers > 1 and settings.port == 0:
        print("--workers above 1 needs a fixed --port: each worker binds it", file=sys.stderr)
        return 2
    # Before the first-start key: a key printed by a server that then cannot start is lost.
    # The metrics' port first, so that an API port of 0 (any free port) cannot be given it.
    metrics_socket = None
    try:
        if settings.metrics_port is not None:
            metrics_socket = serving.claim_port(settings.host, settings.metrics_port, "metrics")
        listener = serving.claim_port(settings.host, settings.port)
    except serving.PortUnavailable as error:
        if metrics_socket is not None:
            metrics_socket.close()
        print(error, file=sys.stderr)
        return 1

    # The app loaded too, before the key: a start that cannot serve mints nothing.
    from server_impl.api.app import create_app, served_app

    try:
        if settings.workers > 1:
            # Each worker loads its own; this one only shows that they can, and is dropped.
            create_app(settings.model_copy(update={"metrics": False}))
        else:
            app, metrics = served_app(settings)
    except OSError as error:  # the spec missing or unreadable: an installation to repair
        listener.close()
        if metrics_socket is not None:
            metrics_socket.close()
        print(f"{prog}: cannot load the app: {error}", file=sys.stderr)
        return 2

    async def bootstrap(store: Store) -> int:
        await _bootstrap_key(store, settings, prog)
        return 0

    asyncio.run(with_store(settings.database_url, bootstrap))
    settings_module.export(settings)
    logs.configure(settings.log_format, settings.log_level, access_log=settings.access_log)
    if settings.workers > 1:
        listener.close()
        try:
            workers.serve(settings, metrics_socket)
        except serving.PortUnavailable as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **serving.uvicorn_options(settings),
    )
    port = listener.getsockname()[1]
    # uvicorn announces the address only of sockets it binds itself.
    LOG.info("Serving on http://%s:%d", settings.host, port)
    registry = metrics.registry if metrics else None
    if metrics_socket is None or registry is None:
        uvicorn.Server(config).run(sockets=[listener])
        return 0
    metrics_listener = MetricsListener(settings, registry, metrics_socket)
    metrics_listener.start()
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        metrics_listener.stop()
    return 0
