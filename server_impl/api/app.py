"""Builds the ASGI application: connexion, serving openapi.yaml, around this service's handlers.

connexion runs as middleware: it routes, authenticates and validates every request against the
spec, then the dispatcher calls the handler named by the operation's operationId.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from connexion import ConnexionMiddleware
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver
from connexion.spec import Specification

from server_impl.domain.conversations import Conversations
from server_impl.domain.ports import Store
from server_impl.ops.settings import Settings
from server_impl.storage import store_for

from . import connexion_adaptations, problems
from .handlers import Handlers
from .middleware import AllowedMethods, BodySizeLimit, CollectionWithoutSlash
from .parameters import HTTP_METHODS, Parameters, operations
from .security import token_check

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"


def create_app(settings: Settings, store: Store | None = None) -> ConnexionMiddleware:
    """The app for settings; store replaces the one settings.database_url names (tests)."""
    spec = Specification.load(SPEC_PATH)
    store = store or store_for(settings.database_url)
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
    app.add_api(
        SPEC_PATH,
        resolver=Resolver(function_resolver=handlers.resolve),
        validator_map=connexion_adaptations.VALIDATORS,
        uri_parser_class=connexion_adaptations.StringPathURIParser,
        security_map={"bearer": connexion_adaptations.bearer_handler(token_check(store))},
        validate_responses=settings.validate_responses,
    )
    problems.install(app)
    app.add_middleware(
        CollectionWithoutSlash,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        collection_paths=[base_path + path for path in spec["paths"]],
    )
    return app


def app_from_environment() -> ConnexionMiddleware:
    """The app of one `serve` worker process, configured by CONVERSATIONS_* variables."""
    app = create_app(Settings())
    # The spec, schemas and validators just built live as long as the process. Frozen, they are
    # left out of the collector's full passes, each of which otherwise stalled every request in
    # flight for tens of milliseconds (the bench's p99 on PostgreSQL).
    gc.collect()
    gc.freeze()
    return app
