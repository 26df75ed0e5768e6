from collections.abc import Iterator

import pytest
from letta_conversations_client import Client
from letta_conversations_client.api.conversations import create_conversation
from letta_conversations_client.models import Conversation, ConversationCreate

from tests.conftest import RunningServer


@pytest.fixture
def client(server: RunningServer) -> Iterator[Client]:
    with Client(base_url=server.api_url, raise_on_unexpected_status=True) as client:
        yield client


@pytest.fixture
def conversation(client: Client, agent_id: str) -> Conversation:
    created = create_conversation.sync(
        client=client, agent_id=agent_id, body=ConversationCreate(summary="first summary")
    )
    assert isinstance(created, Conversation)
    return created
