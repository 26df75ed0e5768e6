"""Builds the ASGI application: connexion, serving openapi.yaml, around this service's handlers.

connexion runs as middleware: it routes, authenticates and validates every request against the
spec, then the dispatcher calls the handler named by the operation's operationId.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from connexion import ConnexionMiddleware
from connexion.exceptions import OAuthProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver
from connexion.spec import Specification
from starlette.requests import ClientDisconnect

from . import connexion_layers
from .config import SPEC_PATH, Settings
from .conversations import Conversations
from .dispatch import HTTP_METHODS, Dispatcher, Parameters, operations
from .handlers import Handlers
from .middleware import AllowedMethods, BodySizeLimit, CollectionWithoutSlash
from .problems import MalformedBody, ServiceUnavailable
from .security import bearer_handler, unauthorized
from .storage import DatabaseUnavailable, storage_for
from .validation import VALIDATORS, StringPathURIParser


def _client_left(_request: ConnexionRequest, _error: Exception) -> ConnexionResponse:
    # A client gone before its body arrived is routine, not a server error; nobody reads this.
    return MalformedBody("The connection closed before the whole body arrived.").to_problem()


def _service_unavailable(_request: ConnexionRequest, _error: Exception) -> ConnexionResponse:
    return ServiceUnavailable().to_problem()


def create_app(settings: Settings) -> ConnexionMiddleware:
    spec = Specification.load(SPEC_PATH)
    storage = storage_for(settings.database_url)
    handlers = Handlers(Conversations(storage), storage, Parameters(spec))

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await storage.open()
        try:
            yield
        finally:
            await storage.close()

    app = ConnexionMiddleware(
        Dispatcher(
            {
                op["operationId"]: handlers.resolve(op["operationId"])
                for _, _, op in operations(spec)
            }
        ),
        lifespan=lifespan,
        middlewares=connexion_layers.middlewares(),
    )
    app.add_api(
        SPEC_PATH,
        resolver=Resolver(function_resolver=handlers.resolve),
        validator_map=VALIDATORS,
        uri_parser_class=StringPathURIParser,
        security_map={"bearer": bearer_handler(storage)},
        validate_responses=settings.validate_responses,
    )
    app.add_error_handler(OAuthProblem, unauthorized)
    app.add_error_handler(DatabaseUnavailable, _service_unavailable)
    app.add_error_handler(ClientDisconnect, _client_left)
    base_path = spec.raw["servers"][0]["url"]
    app.add_middleware(
        CollectionWithoutSlash,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        collection_paths=[base_path + path for path in spec["paths"]],
    )
    app.add_middleware(
        AllowedMethods,
        position=MiddlewarePosition.BEFORE_ROUTING,
        methods_by_path={
            base_path + path: [method for method in item if method in HTTP_METHODS]
            for path, item in spec["paths"].items()
        },
    )
    app.add_middleware(
        BodySizeLimit,
        position=MiddlewarePosition.BEFORE_ROUTING,
        max_bytes=settings.max_body_bytes,
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
