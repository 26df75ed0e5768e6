"""Builds the ASGI application: connexion, serving openapi.yaml, around this service's handlers.

connexion runs as middleware: it routes, authenticates and validates every request against the
spec, then the dispatcher calls the handler named by the operation's operationId. Around it,
every request gets its client from trusted proxies (ForwardedClient); a request with no Host or
two, or a transfer coding other than chunked, is refused whatever its path, and an answer given
before its request's body was read closes the connection (RequestFraming); every request gets
its id (RequestId), its access line and metrics (Observed); /metrics is answered beside the
API.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from connexion import ConnexionMiddleware
from connexion.middleware import MiddlewarePosition
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

from . import connexion_adaptations, problems
from .handlers import Handlers
from .middleware import (
    AllowedMethods,
    BodySizeLimit,
    CollectionWithoutSlash,
    ForwardedClient,
    MetricsEndpoint,
    Observed,
    RequestFraming,
    RequestId,
)
from .middleware.metrics_endpoint import PATH as METRICS_PATH
from .parameters import HTTP_METHODS, Parameters, operations
from .security import token_check

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"


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
    store = store or store_for(
        settings.database_url,
        statement_budget_s=settings.statement_budget_s,
        sqlite_readers=settings.sqlite_readers,
        lists_per_organization=settings.lists_per_organization,
    )
    if metrics is None and settings.metrics:
        metrics = new_metrics(spec)
    conversations = Conversations(store, key_ttl=timedelta(seconds=settings.idempotency_key_ttl_s))
    handlers = Handlers(conversations, store, Parameters(spec))

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            await store.close()

    base_path = spec.raw["servers"][0]["url"]
    in_front_of_routing = [
        partial(
            AllowedMethods,
            methods_by_path={
                base_path + path: [method for method in item if method in HTTP_METHODS]
                for path, item in spec["paths"].items()
            },
        ),
        partial(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
    app = ConnexionMiddleware(
        connexion_adaptations.Dispatcher(
            {
                op["operationId"]: handlers.resolve(op["operationId"])
                for _, _, op in operations(spec)
            }
        ),
        lifespan=lifespan,
        middlewares=connexion_adaptations.middlewares(before_routing=in_front_of_routing),
    )
    # The key's rate limit is a step of authentication: the key is known only there, and a
    # request refused there has had nothing read or done for it (security.py).
    limiter = KeyRateLimiter(store, settings.default_key_limit)
    bearer = connexion_adaptations.bearer_handler(
        token_check(store, limiter, limited=metrics.limited if metrics else None),
        refused=metrics.refused if metrics else None,
    )
    app.add_api(
        SPEC_PATH,
        resolver=Resolver(function_resolver=handlers.resolve),
        validator_map=connexion_adaptations.VALIDATORS,
        uri_parser_class=connexion_adaptations.StringPathURIParser,
        security_map={"bearer": bearer},
        validate_responses=settings.validate_responses,
    )
    problems.install(app, metrics)
    app.add_middleware(
        CollectionWithoutSlash,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        collection_paths=[base_path + path for path in spec["paths"]],
    )
    served: ASGIApp = app
    beside: dict[str, str] = {}
    if metrics and settings.metrics_port is None:
        served = MetricsEndpoint(app, metrics=metrics)
        beside[METRICS_PATH] = "metrics"
    routes = {op["operationId"]: base_path + path for path, _, op in operations(spec)}
    observed = Observed(
        served, routes=routes, metrics=metrics, pool=pool_reader(store), paths=beside
    )
    # Around /metrics too, since it concerns the request message whatever it asks for; outside
    # RequestId, since it holds back the end of an answer that RequestId has already completed.
    app_with_ids = RequestFraming(RequestId(observed))
    if not settings.trusted_proxies:
        return app_with_ids
    return ForwardedClient(app_with_ids, proxies=settings.trusted_networks)


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
