"""The lean Litestar peer of `make bench`: GET and PATCH /v1/conversations/{conversation_id}
as an engineer would ship them in Litestar, with msgspec.

Litestar validates the path parameter and the body (a msgspec Struct) against the constraints
openapi.yaml puts on them, a dependency checks the bearer key with one lookup, and the SQL is
the peer's own (bench/lean_sql.py), not this project's service and storage. It answers the same
body and ETag as this server; PATCH is a merge-patch that honours If-Match.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Response, get, patch
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.params import Parameter

from bench.lean_sql import (
    CONTEXT_WINDOW_MAX,
    CONVERSATION_ID_PATTERN,
    FIRST_YEAR,
    LAST_YEAR,
    MODEL_MAX_LENGTH,
    MODEL_MIN_LENGTH,
    MODEL_PATTERN,
    NO_NUL,
    PLAIN_FIELDS,
    PROVIDER_TYPES,
    TEXT_MAX_LENGTH,
    Actor,
    Connection,
    Database,
    Row,
    etag,
    if_match_versions,
)

database = Database(os.environ["CONVERSATIONS_DATABASE_URL"])
ConversationId = Annotated[
    str, Parameter(min_length=41, max_length=41, pattern=CONVERSATION_ID_PATTERN)
]
Text = Annotated[str, msgspec.Meta(max_length=TEXT_MAX_LENGTH, pattern=NO_NUL)]
Model = Annotated[
    str,
    msgspec.Meta(min_length=MODEL_MIN_LENGTH, max_length=MODEL_MAX_LENGTH, pattern=MODEL_PATTERN),
]
ContextWindow = Annotated[int, msgspec.Meta(ge=1, le=CONTEXT_WINDOW_MAX)]
Moment = Annotated[datetime, msgspec.Meta(tz=True)]


class ConversationUpdate(msgspec.Struct):
    """A merge-patch: UNSET keeps a field, None clears it. Unknown fields are ignored."""

    summary: Text | None | msgspec.UnsetType = msgspec.UNSET
    description: Text | None | msgspec.UnsetType = msgspec.UNSET
    model: Model | None | msgspec.UnsetType = msgspec.UNSET
    context_window_limit: ContextWindow | None | msgspec.UnsetType = msgspec.UNSET
    last_message_at: Moment | None | msgspec.UnsetType = msgspec.UNSET
    # Stored and answered as given, so a JSON object rather than one Struct per provider.
    model_settings: dict[str, Any] | None | msgspec.UnsetType = msgspec.UNSET
    archived: bool | None | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        moment = self.last_message_at
        if isinstance(moment, datetime) and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(f"last_message_at: years {FIRST_YEAR} to {LAST_YEAR}")
        settings = self.model_settings
        if isinstance(settings, dict) and settings.get("provider_type") not in PROVIDER_TYPES:
            raise ValueError("model_settings: provider_type is none of the known providers")


class Conversation(msgspec.Struct):
    id: str
    agent_id: str
    archived: bool
    archived_at: datetime | None
    context_window_limit: int | None
    created_at: datetime
    created_by_id: str
    description: str | None
    in_context_message_ids: list[str]
    isolated_block_ids: list[str]
    last_message_at: datetime | None
    last_updated_by_id: str
    model: str | None
    model_settings: dict[str, Any] | None
    summary: str | None
    updated_at: datetime


async def provide_db() -> AsyncIterator[Connection]:
    async with database.connection() as connection:
        yield connection


async def acting_user(
    db: Connection, authorization: Annotated[str | None, Parameter(header="Authorization")] = None
) -> Actor:
    actor = await db.actor(authorization)
    if actor is None:
        raise NotAuthorizedException(headers={"WWW-Authenticate": "Bearer"})
    return actor


def _answer(row: Row) -> Response[Conversation]:
    version = row.pop("version")
    return Response(Conversation(**row), headers={"ETag": etag(version)})


@get("/v1/conversations/{conversation_id:str}")
async def retrieve_conversation(
    conversation_id: ConversationId, actor: Actor, db: Connection
) -> Response[Conversation]:
    row = await db.get(actor.organization_id, conversation_id)
    if row is None:
        raise NotFoundException(f"No conversation {conversation_id}.")
    return _answer(row)


@patch("/v1/conversations/{conversation_id:str}")
async def update_conversation(
    conversation_id: ConversationId,
    data: ConversationUpdate,
    actor: Actor,
    db: Connection,
    if_match: Annotated[str | None, Parameter(header="If-Match")] = None,
) -> Response[Conversation]:
    fields = {
        name: value for name in PLAIN_FIELDS if (value := getattr(data, name)) is not msgspec.UNSET
    }
    archive = None if data.archived is msgspec.UNSET else bool(data.archived)
    row = await db.update(actor, conversation_id, fields, archive, if_match_versions(if_match))
    if row is None:
        if if_match is not None and await db.get(actor.organization_id, conversation_id):
            raise HTTPException(status_code=412, detail="The ETag in If-Match no longer matches.")
        raise NotFoundException(f"No conversation {conversation_id}.")
    return _answer(row)


@asynccontextmanager
async def lifespan(_app: Litestar) -> AsyncIterator[None]:
    await database.open()
    yield
    await database.close()


app = Litestar(
    route_handlers=[retrieve_conversation, update_conversation],
    dependencies={"db": Provide(provide_db), "actor": Provide(acting_user)},
    lifespan=[lifespan],
    openapi_config=None,
)
