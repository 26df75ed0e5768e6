"""Builds the ASGI application: connexion serving openapi.yaml with this service's handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import yaml
from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver

from .config import SPEC_PATH, Settings
from .conversations import Conversations
from .handlers import ConversationHandlers
from .middleware import BodySizeLimit, CollectionWithoutSlash
from .store import ConversationStore, SqliteStore
from .validation import VALIDATORS


def open_store(database_url: str) -> ConversationStore:
    return SqliteStore.from_url(database_url)


def create_app(settings: Settings, store: ConversationStore | None = None) -> AsyncApp:
    store = store if store is not None else open_store(settings.database_url)
    handlers = ConversationHandlers(Conversations(store))

    @asynccontextmanager
    async def lifespan(_app: AsyncApp) -> AsyncIterator[None]:
        yield
        await store.close()

    app = AsyncApp(__name__, lifespan=lifespan)
    spec = yaml.safe_load(SPEC_PATH.read_text())
    app.add_api(
        spec,
        resolver=Resolver(function_resolver=handlers.resolve),
        validator_map=VALIDATORS,
        validate_responses=settings.validate_responses,
    )
    base_path = spec["servers"][0]["url"]
    app.add_middleware(
        CollectionWithoutSlash,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        collection_paths=[base_path + path for path in spec["paths"]],
    )
    app.add_middleware(
        BodySizeLimit, position=MiddlewarePosition.BEFORE_SWAGGER, max_bytes=settings.max_body_bytes
    )
    return app
