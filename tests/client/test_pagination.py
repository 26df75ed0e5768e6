"""list_conversations.iterate() and aiterate() walk every conversation once, page by page, with
the filters they were given, following each answer's Link rel="next"; also while others are
being created, and while the conversation a page ended with moves."""

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    create_conversation,
    list_conversations,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.models import (
    ConversationCreate,
    ConversationUpdate,
    ListConversationsOrder,
    ListConversationsOrderBy,
)

from tests.support import TLS, Served

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

MANY = 250


@pytest.fixture(scope="module")
def many(server: Served, key: str) -> tuple[str, list[str]]:
    return make_many(server, key)


def make_many(server: Served, key: str) -> tuple[str, list[str]]:
    """An agent with 250 conversations, every fifth with the summary "needle N"; their ids."""
    agent_id = f"agent-{uuid.uuid4()}"
    with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as client:
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
    server: Served, key: str, many: tuple[str, list[str]]
) -> None:
    agent_id, ids = many

    async def walk() -> list[str]:
        async with AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key
        ) as client:
            pages = list_conversations.aiterate(client=client, agent_id=agent_id, limit=100)
            return [c.id async for c in pages]

    assert asyncio.run(walk()) == ids[::-1]


@pytest.mark.parametrize("order", list(ListConversationsOrder))
def test_iterate_yields_each_once_while_others_are_created(
    server: Served, key: str, client: AuthenticatedClient, order: ListConversationsOrder
) -> None:
    agent_id, ids = make_many(server, key)
    created: list[str] = []
    done = threading.Event()

    def create_meanwhile() -> None:
        with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as creator:
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


def with_last_messages(client: AuthenticatedClient, count: int) -> list[str]:
    """c0…c(count-1) of a new agent, with last_message_at 2026-01-01, -02, … in that order."""
    agent_id = f"agent-{uuid.uuid4()}"
    ids = []
    for n in range(count):
        made = create_conversation.sync(client=client, agent_id=agent_id)
        patch = ConversationUpdate(last_message_at=datetime(2026, 1, n + 1, tzinfo=UTC))
        ids.append(update_conversation.sync(made.id, client=client, body=patch).id)
    return ids


def test_iterate_follows_the_next_link_past_a_conversation_that_moved_meanwhile(
    client: AuthenticatedClient,
) -> None:
    ids = with_last_messages(client, 10)
    agent_id = retrieve_conversation.sync(ids[0], client=client).agent_id
    walked: list[str] = []
    pages = list_conversations.iterate(
        client=client, agent_id=agent_id, limit=3, order=ListConversationsOrder.ASC,
        order_by=ListConversationsOrderBy.LAST_MESSAGE_AT,
    )  # fmt: skip
    for listed in pages:
        walked.append(listed.id)
        if listed.id == ids[2]:  # the last of the first page moves to the end
            later = ConversationUpdate(last_message_at=datetime(2030, 1, 1, tzinfo=UTC))
            update_conversation.sync(ids[2], client=client, body=later)
    assert walked == [*ids, ids[2]]


def test_iterate_asks_for_no_page_past_the_last(
    client_through: Callable[[httpx.BaseTransport], AuthenticatedClient],
) -> None:
    requests: list[httpx.Request] = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return super().handle_request(request)

    counted = client_through(Counting())
    ids = with_last_messages(counted, 6)
    agent_id = retrieve_conversation.sync(ids[0], client=counted).agent_id
    requests.clear()
    for order_by in ListConversationsOrderBy:
        walked = list_conversations.iterate(
            client=counted, agent_id=agent_id, limit=3, order_by=order_by
        )
        assert {c.id for c in walked} == set(ids)
    assert len(requests) == 2 * len(ListConversationsOrderBy), "two pages each, nothing more"
    # From the second page on, each asks with the cursor of the Link, not a bare id.
    cursors = [r.url.params["after"] for r in requests if "after" in r.url.params]
    assert len(cursors) == len(ListConversationsOrderBy)
    assert all("." in cursor for cursor in cursors), cursors


def test_aiterate_follows_the_next_link(server: Served, key: str) -> None:
    async def walk() -> tuple[list[str], list[str]]:
        with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as maker:
            ids = with_last_messages(maker, 5)
        async with AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key
        ) as client:
            agent_id = (await retrieve_conversation.asyncio(ids[0], client=client)).agent_id
            walked: list[str] = []
            pages = list_conversations.aiterate(
                client=client, agent_id=agent_id, limit=2,
                order_by=ListConversationsOrderBy.LAST_MESSAGE_AT,
            )  # fmt: skip
            async for listed in pages:
                walked.append(listed.id)
                if len(walked) == 2:  # the last of the first page loses its last message
                    cleared = ConversationUpdate(last_message_at=None)
                    await update_conversation.asyncio(listed.id, client=client, body=cleared)
            return ids, walked

    ids, walked = asyncio.run(walk())
    # Newest first, and without a last message the moved one is now last: listed again there.
    assert walked == [*ids[::-1], ids[3]]
