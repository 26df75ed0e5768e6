"""The HTTP side of each operation, named by its operationId in openapi.yaml.

connexion has already routed, authenticated and validated the request against the spec when a
handler runs; a handler reads the request, calls one method of the rules with the acting user,
and shapes the answer. Errors are raised, and become problems in problems/.
"""

from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json
from starlette.requests import Request
from starlette.responses import Response

from server_impl.domain.conversations import Conversations
from server_impl.domain.idempotency import KEY_HEADER
from server_impl.domain.model_settings import (
    ConversationCreateAsGiven,
    ConversationUpdateAsGiven,
)
from server_impl.domain.ports import ConversationFields, Store
from server_impl.domain.versions import IfMatch, Versioned, etag, parse_if_match
from server_impl.observability import request_id

from .connexion_adaptations import Handler
from .connexion_adaptations.validators import NO_BODY, parsed_body
from .parameters import Parameters
from .problems import InvalidParams, MoreThanOneIdempotencyKey, json_quoted
from .security import acting_user

M = TypeVar("M", bound=BaseModel)


def _ok(body: bytes, headers: dict[str, str] | None = None) -> Response:
    # The RequestId middleware sets the header on every answer; a handler's answer carries it
    # already, because connexion validates it against the spec before that middleware runs.
    id_header = {request_id.HEADER: request_id.current.get() or request_id.new()}
    return Response(body, media_type="application/json", headers={**id_header, **(headers or {})})


def _conversation(versioned: Versioned) -> Response:
    body = versioned.conversation.__pydantic_serializer__.to_json(versioned.conversation)
    return _ok(body, {"ETag": etag(versioned.version)})


def fields_body(fields: ConversationFields | list[ConversationFields]) -> bytes:
    """A conversation, or a list page of them, as JSON: byte for byte what pydantic's serializer
    makes of the same as ConversationAsStored (tests/api/test_fields_body.py). orjson writes
    the fields as they are, in a few microseconds a conversation, where building and
    serializing a model cost several times that."""
    try:
        return orjson.dumps(fields, option=orjson.OPT_UTC_Z)
    except orjson.JSONEncodeError:
        # An integer in model_settings past 64 bits, which orjson refuses: pydantic's
        # serializer writes it, and everything else as the model's does (NaN as null too).
        return to_json(fields, inf_nan_mode="null")


def _next_link(request: Request, known: frozenset[str], cursor: str) -> str:
    """RFC 8288's Link to the next page: the request's query (its known parameters, which are
    bounded) with `after` the cursor, as a reference relative to the request's own URL (only the
    query differs), so that it holds behind a proxy that maps the path."""
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name in known and name != "after"
    ]
    return f'<?{urlencode([*kept, ("after", cursor)], quote_via=quote)}>; rel="next"'


def _if_match(request: Request) -> IfMatch | None:
    return parse_if_match(request.headers.get("if-match"))


_TIMES = {"datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"}
"""pydantic's errors for a date-time string that the spec's format allows but no datetime can
hold: a leap second (23:59:60), the one such RFC 3339 time, or any other the format check
might let through (a day that does not exist)."""


def _body(request: Request, model: type[M]) -> M:
    """The body as model; an absent body is an empty one. connexion's body validator has
    parsed it and checked it against the spec, but a few values its checks pass the model
    refuses (a date-time with a leap second): those are a 422 too, in the terms of the
    validators' own."""
    body = parsed_body(request.scope)
    if body is NO_BODY:
        return model()
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(["body", *map(str, first["loc"])])
        value = json_quoted(first["input"])
        if first["type"] in _TIMES:
            reason = (
                f"{value} is not a time this server can hold: an RFC 3339 date-time of a day"
                " that exists, its seconds 00 to 59 (a leap second, :60, cannot be held)"
            )
        else:
            reason = f"{value}: {first['msg']}"
        raise InvalidParams(name, reason) from None


def _patch(request: Request) -> ConversationUpdateAsGiven:
    return _body(request, ConversationUpdateAsGiven)


class Handlers:
    def __init__(self, conversations: Conversations, store: Store, parameters: Parameters) -> None:
        self._conversations = conversations
        self._store = store
        self._parameters = parameters

    def resolve(self, operation_id: str) -> Handler:
        """operationId → bound handler (also connexion's function resolver)."""
        if operation_id.startswith("_") or not hasattr(self, operation_id):
            raise LookupError(f"no handler for operationId {operation_id!r}")
        handler: Handler = getattr(self, operation_id)
        return handler

    async def create_conversation(self, request: Request) -> Response:
        agent_id = self._parameters.query("create_conversation", request)["agent_id"]
        fields = _body(request, ConversationCreateAsGiven)
        keys = request.headers.getlist(KEY_HEADER)
        if not keys:
            return _conversation(await self._conversations.create(acting_user(), agent_id, fields))
        if len(keys) > 1:
            raise MoreThanOneIdempotencyKey()
        body = parsed_body(request.scope)
        outcome = await self._conversations.create_once(
            acting_user(), agent_id, fields, keys[0], None if body is NO_BODY else body
        )
        response = _conversation(outcome.versioned)
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    async def list_conversations(self, request: Request) -> Response:
        query: dict[str, Any] = self._parameters.query("list_conversations", request)
        listed = await self._conversations.list(acting_user(), **query)
        body = fields_body(listed.conversations)
        if listed.next_cursor is None:
            return _ok(body)
        known = self._parameters.names("list_conversations")
        return _ok(body, {"Link": _next_link(request, known, listed.next_cursor)})

    async def retrieve_conversation(self, request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        current = await self._conversations.retrieve(acting_user(), conversation_id)
        return _ok(fields_body(current.fields), {"ETag": etag(current.version)})

    async def retrieve_default_conversation(self, request: Request) -> Response:
        agent_id = request.query_params["agent_id"]
        if request.method == "HEAD":
            # HEAD is routed here with GET, but must change nothing: it never makes the default.
            found = await self._conversations.look_up_default(acting_user(), agent_id)
        else:
            found = await self._conversations.retrieve_default(acting_user(), agent_id)
        return _conversation(found)

    async def update_conversation(self, request: Request) -> Response:
        updated = await self._conversations.update(
            acting_user(),
            request.path_params["conversation_id"],
            _patch(request),
            _if_match(request),
        )
        return _conversation(updated)

    async def update_default_conversation(self, request: Request) -> Response:
        updated = await self._conversations.update_default(
            acting_user(),
            request.query_params["agent_id"],
            _patch(request),
            _if_match(request),
        )
        return _conversation(updated)

    async def delete_conversation(self, request: Request) -> Response:
        deleted = await self._conversations.delete(
            acting_user(), request.path_params["conversation_id"], _if_match(request)
        )
        return _conversation(deleted)

    async def delete_default_conversation(self, request: Request) -> Response:
        deleted = await self._conversations.delete_default(
            acting_user(), request.query_params["agent_id"], _if_match(request)
        )
        return _conversation(deleted)

    async def check_liveness(self, _request: Request) -> Response:
        return _ok(b'{"status":"ok"}')

    async def check_readiness(self, _request: Request) -> Response:
        await self._store.ping()
        return _ok(b'{"status":"ready"}')
