"""list_conversations.iterate() and aiterate() walk every conversation once, page by page, with
the filters they were given; also while others are being created."""

import asyncio
import threading
import uuid
from collections import Counter

import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import create_conversation, list_conversations
from letta_conversations_client.models import ConversationCreate, ListConversationsOrder

from tests.support import RunningServer

MANY = 250


@pytest.fixture(scope="module")
def many(server: RunningServer, key: str) -> tuple[str, list[str]]:
    return make_many(server, key)


def make_many(server: RunningServer, key: str) -> tuple[str, list[str]]:
    """An agent with 250 conversations, every fifth with the summary "needle N"; their ids."""
    agent_id = f"agent-{uuid.uuid4()}"
    with AuthenticatedClient(base_url=server.api_url, token=key) as client:
        ids = [
            create_conversation.sync(
                client=client,
                agent_id=agent_id,
                body=ConversationCreate(summary=f"needle {n}" if n % 5 == 0 else f"hay {n}"),
            ).id
            for n in range(MANY)
        ]
    return agent_id, ids


def test_iterate_yields_every_conversation_exactly_once_in_order(
    client: AuthenticatedClient, many: tuple[str, list[str]]
) -> None:
    agent_id, ids = many
    walked = [c.id for c in list_conversations.iterate(client=client, agent_id=agent_id)]
    assert walked == ids[::-1]  # newest first, by default
    ascending = ListConversationsOrder.ASC
    walked = [
        c.id
        for c in list_conversations.iterate(
            client=client, agent_id=agent_id, limit=7, order=ascending
        )
    ]
    assert walked == ids


def test_iterate_keeps_the_filters_on_every_page(
    client: AuthenticatedClient, many: tuple[str, list[str]]
) -> None:
    agent_id, ids = many
    found = list_conversations.iterate(
        client=client, agent_id=agent_id, summary_search="NEEDLE", limit=3
    )
    assert [c.id for c in found] == ids[MANY - 5 :: -5]  # the needles, newest first


def test_aiterate_yields_every_conversation_exactly_once(
    server: RunningServer, key: str, many: tuple[str, list[str]]
) -> None:
    agent_id, ids = many

    async def walk() -> list[str]:
        async with AuthenticatedClient(base_url=server.api_url, token=key) as client:
            pages = list_conversations.aiterate(client=client, agent_id=agent_id, limit=100)
            return [c.id async for c in pages]

    assert asyncio.run(walk()) == ids[::-1]


@pytest.mark.parametrize("order", list(ListConversationsOrder))
def test_iterate_yields_each_once_while_others_are_created(
    server: RunningServer, key: str, client: AuthenticatedClient, order: ListConversationsOrder
) -> None:
    agent_id, ids = make_many(server, key)
    created: list[str] = []
    done = threading.Event()

    def create_meanwhile() -> None:
        with AuthenticatedClient(base_url=server.api_url, token=key) as creator:
            while not done.is_set():
                made = create_conversation.sync(
                    client=creator, agent_id=agent_id, body=ConversationCreate(summary="late")
                )
                created.append(made.id)

    creator = threading.Thread(target=create_meanwhile)
    creator.start()
    try:
        pages = list_conversations.iterate(client=client, agent_id=agent_id, limit=10, order=order)
        walked = [c.id for c in pages]
    finally:
        done.set()
        creator.join()
    assert len(created) > 5, "too little was created during the walk"
    counts = Counter(walked)
    assert set(counts.values()) == {1}, "listed twice"
    assert set(ids) <= set(counts), "one that existed before was skipped"
    assert set(counts) - set(ids) <= set(created)
    # In creation order, the walk reaches those created while it ran.
    assert order == ListConversationsOrder.DESC or set(counts) - set(ids)
