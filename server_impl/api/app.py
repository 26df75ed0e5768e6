"""Builds the ASGI application: connexion, serving openapi.yaml, around this service's handlers.

connexion runs as middleware: it routes, authenticates and validates every request against the
spec, then the dispatcher calls the handler named by the operation's operationId. Every layer
around and inside connexion is declared, in order and with its reason, in stack.py.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from connexion import ConnexionMiddleware
from connexion.resolver import Resolver
from connexion.spec import Specification
from starlette.types import ASGIApp

from server_impl.domain.conversations import Conversations
from server_impl.domain.ports import Store
from server_impl.domain.rate_limits import KeyRateLimiter
from server_impl.observability import logs
from server_impl.observability.metrics import Metrics
from server_impl.settings import Settings
from server_impl.storage import pool_reader, store_for

from . import connexion_adaptations, problems, stack
from .handlers import Handlers
from .parameters import Parameters, operations
from .security import token_check

# In the package (a link to the repository's openapi.yaml in a checkout, a copy in the wheel).
# A path, not only a resource: connexion reads it by name. Installed packages are plain files.
SPEC_PATH = Path(str(files("server_impl").joinpath("openapi.yaml")))


def new_metrics(spec: Specification) -> Metrics:
    return Metrics(
        version=version("letta-conversations-server"), spec_version=spec["info"]["version"]
    )


def create_app(
    settings: Settings,
    store: Store | None = None,
    metrics: Metrics | None = None,
    spec: Specification | None = None,
) -> ASGIApp:
    """The app for settings; store replaces the one settings.database_url names (tests), and
    metrics the app's own (made unless settings turn metrics off)."""
    spec = spec or Specification.load(SPEC_PATH)
    store = store or store_for(settings.database_url, settings.storage)
    if metrics is None and settings.metrics:
        metrics = new_metrics(spec)
    conversations = Conversations(
        store,
        key_ttl=timedelta(seconds=settings.idempotency_key_ttl_s),
        key_lease=timedelta(seconds=settings.idempotency_lease_s),
    )
    handlers = Handlers(conversations, store, Parameters(spec))

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            # Every request has ended: the access lines still waiting are the last.
            if logs.access is not None:
                logs.access.flush()
            await store.close()

    # The key's rate limit is a step of authentication: the key is known only there, and a
    # request refused there has had nothing read or done for it (security.py).
    limiter = KeyRateLimiter(store, settings.default_key_limit)
    bearer = connexion_adaptations.bearer_handler(
        token_check(store, limiter, limited=metrics.limited if metrics else None),
        refused=metrics.refused if metrics else None,
    )

    def connect(app: ConnexionMiddleware) -> None:
        # The spec as read already: given its path, connexion would parse the YAML again, most of
        # what making an app costs. connexion changes only copies of it (test_app.py).
        app.add_api(
            spec.raw,
            resolver=Resolver(function_resolver=handlers.resolve),
            validator_map=connexion_adaptations.VALIDATORS,
            uri_parser_class=connexion_adaptations.StringPathURIParser,
            security_map={"bearer": bearer},
            validate_responses=settings.validate_responses,
        )
        problems.install(app, metrics)

    dispatcher = connexion_adaptations.Dispatcher(
        {op["operationId"]: handlers.resolve(op["operationId"]) for _, _, op in operations(spec)}
    )
    return stack.build(
        stack.declared(settings, spec, metrics, pool_reader(store)),
        dispatcher,
        connect=connect,
        lifespan=lifespan,
    )


def app_from_environment() -> ASGIApp:
    """The app of one `serve` worker, configured by CONVERSATIONS_* variables."""
    settings = Settings()
    logs.configure(settings.log_format, settings.log_level, access_log=settings.access_log)
    return served_app(settings)[0]


def served_app(settings: Settings) -> tuple[ASGIApp, Metrics | None]:
    """The app of a `serve` process, and its metrics, for the --metrics-port listener to serve
    (server_impl/ops/metrics_listener.py)."""
    spec = Specification.load(SPEC_PATH)
    metrics = new_metrics(spec) if settings.metrics else None
    app = create_app(settings, metrics=metrics, spec=spec)
    # The spec, schemas and validators just built live as long as the process. Frozen, they are
    # left out of the collector's full passes, each of which otherwise stalled every request in
    # flight for tens of milliseconds (the bench's p99 on PostgreSQL).
    gc.collect()
    gc.freeze()
    return app, metrics
