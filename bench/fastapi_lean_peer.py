"""The lean FastAPI peer of `make bench`: GET and PATCH /v1/conversations/{conversation_id}
as an engineer would ship them in FastAPI, with pydantic.

FastAPI validates the path parameter and the body (a pydantic model) against the constraints
openapi.yaml puts on them, a dependency checks the bearer key with one lookup, and the SQL is
the peer's own (bench/lean_sql.py, shared with the Litestar peer), not this project's service
and storage as in bench/fastapi_peer.py. It answers the same body and ETag as this server;
PATCH is a merge-patch that honours If-Match. The answer is returned as a Response, as
FastAPI's documentation advises for speed, skipping a second validation by response_model.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Response
from pydantic import AwareDatetime, BaseModel, Field, field_validator

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
ConversationId = Annotated[str, Path(min_length=41, max_length=41, pattern=CONVERSATION_ID_PATTERN)]
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH, pattern=NO_NUL)]
Model = Annotated[
    str, Field(min_length=MODEL_MIN_LENGTH, max_length=MODEL_MAX_LENGTH, pattern=MODEL_PATTERN)
]
ContextWindow = Annotated[int, Field(ge=1, le=CONTEXT_WINDOW_MAX)]


class ConversationUpdate(BaseModel):
    """A merge-patch: the fields given are in model_fields_set; None clears. Unknown fields are
    ignored."""

    summary: Text | None = None
    description: Text | None = None
    model: Model | None = None
    context_window_limit: ContextWindow | None = None
    last_message_at: AwareDatetime | None = None
    # Stored and answered as given, so a JSON object rather than one model per provider.
    model_settings: dict[str, Any] | None = None
    archived: bool | None = None

    @field_validator("last_message_at")
    @classmethod
    def _in_years(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(f"years {FIRST_YEAR} to {LAST_YEAR}")
        return moment

    @field_validator("model_settings")
    @classmethod
    def _known_provider(cls, settings: dict[str, Any] | None) -> dict[str, Any] | None:
        if settings is not None and settings.get("provider_type") not in PROVIDER_TYPES:
            raise ValueError("provider_type is none of the known providers")
        return settings


class Conversation(BaseModel):
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


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await database.open()
    yield
    await database.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


async def db() -> AsyncIterator[Connection]:
    async with database.connection() as connection:
        yield connection


Db = Annotated[Connection, Depends(db)]


async def acting_user(db: Db, authorization: Annotated[str | None, Header()] = None) -> Actor:
    actor = await db.actor(authorization)
    if actor is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    return actor


User = Annotated[Actor, Depends(acting_user)]


def _answer(row: Row) -> Response:
    version = row.pop("version")
    return Response(
        Conversation(**row).model_dump_json(),
        media_type="application/json",
        headers={"ETag": etag(version)},
    )


@app.get("/v1/conversations/{conversation_id}")
async def retrieve_conversation(conversation_id: ConversationId, actor: User, db: Db) -> Response:
    row = await db.get(actor.organization_id, conversation_id)
    if row is None:
        raise HTTPException(404, f"No conversation {conversation_id}.")
    return _answer(row)


@app.patch("/v1/conversations/{conversation_id}")
async def update_conversation(
    conversation_id: ConversationId,
    patch: ConversationUpdate,
    actor: User,
    db: Db,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    given = patch.model_fields_set
    fields = {name: getattr(patch, name) for name in PLAIN_FIELDS if name in given}
    archive = bool(patch.archived) if "archived" in given else None
    row = await db.update(actor, conversation_id, fields, archive, if_match_versions(if_match))
    if row is None:
        if if_match is not None and await db.get(actor.organization_id, conversation_id):
            raise HTTPException(412, "The ETag in If-Match no longer matches.")
        raise HTTPException(404, f"No conversation {conversation_id}.")
    return _answer(row)
