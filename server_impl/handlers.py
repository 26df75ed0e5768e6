"""The HTTP side of each operation, named by its operationId in openapi.yaml.

connexion has already validated every parameter and the body against the spec when a handler
runs; a handler reads the request, calls one service method and shapes the answer.
"""

from typing import Any

from connexion.lifecycle import ConnexionResponse
from pydantic import TypeAdapter

from generated.models import Conversation, ConversationCreate, ConversationUpdate

from .conversations import Conversations
from .identity import acting_user
from .storage import Order

Json = dict[str, Any]
_PAGE = TypeAdapter(list[Conversation])


def _ok(body: str | bytes) -> ConnexionResponse:
    # The content type must be named: the operations also answer application/problem+json.
    return ConnexionResponse(status_code=200, content_type="application/json", body=body)


def _json(conversation: Conversation) -> ConnexionResponse:
    return _ok(conversation.model_dump_json())


class ConversationHandlers:
    def __init__(self, conversations: Conversations) -> None:
        self._conversations = conversations

    def resolve(self, operation_id: str) -> Any:
        """connexion's function resolver: operationId → bound handler."""
        if operation_id.startswith("_") or not hasattr(self, operation_id):
            raise LookupError(f"no handler for operationId {operation_id!r}")
        return getattr(self, operation_id)

    async def create_conversation(
        self, agent_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        fields = ConversationCreate.model_validate(body or {})
        return _json(await self._conversations.create(acting_user(), agent_id, fields))

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
        return _json(await self._conversations.retrieve(acting_user(), conversation_id))

    async def retrieve_default_conversation(self, agent_id: str) -> ConnexionResponse:
        return _json(await self._conversations.retrieve_default(acting_user(), agent_id))

    async def update_conversation(
        self, conversation_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        patch = ConversationUpdate.model_validate(body or {})
        return _json(await self._conversations.update(acting_user(), conversation_id, patch))

    async def update_default_conversation(
        self, agent_id: str, body: Json | None = None
    ) -> ConnexionResponse:
        patch = ConversationUpdate.model_validate(body or {})
        return _json(await self._conversations.update_default(acting_user(), agent_id, patch))

    async def delete_conversation(self, conversation_id: str) -> ConnexionResponse:
        return _json(await self._conversations.delete(acting_user(), conversation_id))

    async def delete_default_conversation(self, agent_id: str) -> ConnexionResponse:
        return _json(await self._conversations.delete_default(acting_user(), agent_id))
