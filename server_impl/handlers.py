"""The HTTP side of each operation, named by its operationId in openapi.yaml.

connexion has already authenticated the caller and validated every parameter and the body
against the spec when a handler runs; a handler reads the request, calls one service method and
shapes the answer.
"""

from typing import Any

from connexion import request
from connexion.lifecycle import ConnexionResponse
from pydantic import TypeAdapter

from generated.models import Conversation, ConversationCreate, ConversationUpdate

from .conversations import Conversations
from .etags import etag, parse_if_match
from .identity import acting_user
from .storage import Order, Storage, Versioned, Versions

Json = dict[str, Any]
_PAGE = TypeAdapter(list[Conversation])


def _ok(body: str | bytes, headers: dict[str, str] | None = None) -> ConnexionResponse:
    # The content type must be named: the operations also answer application/problem+json.
    return ConnexionResponse(
        status_code=200, content_type="application/json", body=body, headers=headers
    )


def _conversation(versioned: Versioned) -> ConnexionResponse:
    return _ok(versioned.conversation.model_dump_json(), {"ETag": etag(versioned.version)})


def _if_match() -> Versions | None:
    return parse_if_match(request.headers.get("if-match"))


class Handlers:
    def __init__(self, conversations: Conversations, storage: Storage) -> None:
        self._conversations = conversations
        self._storage = storage

    def resolve(self, operation_id: str) -> Any:
        """connexion's function resolver: operationId → bound handler."""
        if operation_id.startswith("_") or not hasattr(self, operation_id):
            raise LookupError(f"no handler for operationId {operation_id!r}")
        return getattr(self, operation_id)

    async def create_conversation(
        self, agent_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        fields = ConversationCreate.model_validate(body or {})
        return _conversation(await self._conversations.create(acting_user(), agent_id, fields))

    async def list_conversations(
        self,
        limit: int,
        order: Order,
        agent_id: str | None = None,
        after: str | None = None,
        summary_search: str | None = None,
    ) -> ConnexionResponse:
        page = await self._conversations.list(
            acting_user(),
            limit=limit,
            order=order,
            agent_id=agent_id,
            after=after,
            summary_search=summary_search,
        )
        return _ok(_PAGE.dump_json(page))

    async def retrieve_conversation(self, conversation_id: str) -> ConnexionResponse:
        return _conversation(await self._conversations.retrieve(acting_user(), conversation_id))

    async def retrieve_default_conversation(self, agent_id: str) -> ConnexionResponse:
        return _conversation(await self._conversations.retrieve_default(acting_user(), agent_id))

    async def update_conversation(
        self, conversation_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        patch = ConversationUpdate.model_validate(body or {})
        return _conversation(
            await self._conversations.update(acting_user(), conversation_id, patch, _if_match())
        )

    async def update_default_conversation(
        self, agent_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        patch = ConversationUpdate.model_validate(body or {})
        return _conversation(
            await self._conversations.update_default(acting_user(), agent_id, patch, _if_match())
        )

    async def delete_conversation(self, conversation_id: str) -> ConnexionResponse:
        return _conversation(
            await self._conversations.delete(acting_user(), conversation_id, _if_match())
        )

    async def delete_default_conversation(self, agent_id: str) -> ConnexionResponse:
        return _conversation(
            await self._conversations.delete_default(acting_user(), agent_id, _if_match())
        )

    async def check_liveness(self) -> ConnexionResponse:
        return _ok(b'{"status":"ok"}')

    async def check_readiness(self) -> ConnexionResponse:
        await self._storage.ping()
        return _ok(b'{"status":"ready"}')
