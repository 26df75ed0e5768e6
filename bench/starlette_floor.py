"""The floor of `make bench`: bare Starlette doing the same SQL with hand-written checks.

No schema validation framework, no dependency injection: the least a Python ASGI app can do to
serve GET and PATCH /v1/conversations/{conversation_id} with the same keys, storage and answer.
"""

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server_impl.api.handlers import fields_body
from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.conversations import Conversations
from server_impl.domain.errors import NotFound
from server_impl.domain.model_settings import ConversationUpdateAsGiven
from server_impl.domain.ports import Current
from server_impl.domain.versions import Versioned, etag, parse_if_match
from server_impl.storage import store_for

storage = store_for(os.environ["CONVERSATIONS_DATABASE_URL"])
conversations = Conversations(storage)
CONVERSATION_ID = re.compile(
    r"conv-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


async def _actor(request: Request) -> Actor | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return await keys.actor_for(storage, token) if scheme.lower() == "bearer" else None


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


async def conversation(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.fullmatch(conversation_id):
        return Response(status_code=422)
    try:
        if request.method == "GET":
            return _current(await conversations.retrieve(actor, conversation_id))
        body = orjson.loads(await request.body() or b"{}")
        summary = body.get("summary") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not (
            summary is None or (isinstance(summary, str) and len(summary) <= 10_000)
        ):
            return Response(status_code=422)
        patch = ConversationUpdateAsGiven.model_construct(
            _fields_set={"summary"} if "summary" in body else set(), summary=summary
        )
        if_match = parse_if_match(request.headers.get("if-match"))
        return _answer(await conversations.update(actor, conversation_id, patch, if_match))
    except NotFound:
        return Response(status_code=404)
    except orjson.JSONDecodeError:
        return Response(status_code=400)


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await storage.open()
    yield
    await storage.close()


app = Starlette(
    routes=[Route("/v1/conversations/{conversation_id}", conversation, methods=["GET", "PATCH"])],
    lifespan=lifespan,
)
