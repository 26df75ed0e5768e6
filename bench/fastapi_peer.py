"""The FastAPI peer of `make bench`: the same operations over the same storage, keys and rules.

GET and PATCH /v1/conversations/{conversation_id}, written the way a careful FastAPI user would:
pydantic validates the path and the body (the same generated models), a dependency checks the
bearer key, the same service and storage do the work, and the answer carries the same ETag. It
differs from the real server only in the web framework.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Response

from server_impl.api.handlers import fields_body
from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.conversations import Conversations
from server_impl.domain.model_settings import ConversationUpdateAsGiven
from server_impl.domain.ports import Current
from server_impl.domain.versions import Versioned, etag, parse_if_match
from server_impl.storage import store_for

storage = store_for(os.environ["CONVERSATIONS_DATABASE_URL"])
conversations = Conversations(storage)
ConversationId = Annotated[
    str,
    Path(
        min_length=41,
        max_length=41,
        pattern=r"^conv-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    ),
]


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await storage.open()
    yield
    await storage.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


async def acting_user(authorization: Annotated[str | None, Header()] = None) -> Actor:
    scheme, _, token = (authorization or "").partition(" ")
    actor = await keys.actor_for(storage, token) if scheme.lower() == "bearer" else None
    if actor is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    return actor


def _answer(versioned: Versioned) -> Response:
    return Response(
        versioned.conversation.model_dump_json(),
        media_type="application/json",
        headers={"ETag": etag(versioned.version)},
    )


def _current(current: Current) -> Response:
    """A GET's answer as this server writes it: the fields, with no model."""
    return Response(
        fields_body(current.fields),
        media_type="application/json",
        headers={"ETag": etag(current.version)},
    )


@app.get("/v1/conversations/{conversation_id}")
async def retrieve_conversation(
    conversation_id: ConversationId, actor: Annotated[Actor, Depends(acting_user)]
) -> Response:
    return _current(await conversations.retrieve(actor, conversation_id))


@app.patch("/v1/conversations/{conversation_id}")
async def update_conversation(
    conversation_id: ConversationId,
    patch: ConversationUpdateAsGiven,
    actor: Annotated[Actor, Depends(acting_user)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    return _answer(
        await conversations.update(actor, conversation_id, patch, parse_if_match(if_match))
    )
