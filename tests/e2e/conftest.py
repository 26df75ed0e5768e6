from collections.abc import Iterator

import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import create_conversation
from letta_conversations_client.models import Conversation, ConversationCreate

from tests.support import TLS, Keys, Served


def authenticated(server: Served, key: str) -> AuthenticatedClient:
    return AuthenticatedClient(
        verify_ssl=TLS, base_url=server.api_url, token=key, raise_on_unexpected_status=True
    )


@pytest.fixture
def client(server: Served, keys: Keys) -> Iterator[AuthenticatedClient]:
    """The generated client, as alice."""
    with authenticated(server, keys.alice) as client:
        yield client


@pytest.fixture
def conversation(client: AuthenticatedClient, agent_id: str) -> Conversation:
    created = create_conversation.sync(
        client=client, agent_id=agent_id, body=ConversationCreate(summary="first summary")
    )
    assert isinstance(created, Conversation)
    return created
