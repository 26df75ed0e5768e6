"""The generated client's public surface, as a type checker sees it: test_generated_code.py runs
mypy --strict on this module, which is never run. Each assert_type fails the check if a
signature loses or widens its type."""

from collections.abc import AsyncIterator, Iterator
from typing import assert_type

import httpx
from letta_conversations_client import DEFAULT_TIMEOUT, ApiError, AuthenticatedClient, RetryPolicy
from letta_conversations_client.api.conversations import (
    create_conversation,
    list_conversations,
    retrieve_conversation,
)
from letta_conversations_client.errors import ERRORS_BY_STATUS, NotFoundError
from letta_conversations_client.models import Conversation, InvalidParam, Problem
from letta_conversations_client.types import Response


def surface(client: AuthenticatedClient) -> None:
    assert_type(DEFAULT_TIMEOUT, httpx.Timeout)
    client = client.with_retries(RetryPolicy(max_retries=5)).with_timeout(3.0).with_retries(0)
    assert_type(create_conversation.sync(client=client, agent_id="a"), Conversation)
    assert_type(
        retrieve_conversation.sync_detailed("c", client=client, retries=1, timeout=None),
        Response[Conversation | Problem],
    )
    assert_type(list_conversations.sync(client=client), list[Conversation])
    assert_type(list_conversations.iterate(client=client, limit=10), Iterator[Conversation])
    assert_type(list_conversations.aiterate(client=client), AsyncIterator[Conversation])
    assert_type(RetryPolicy().wait(0), float)
    assert_type(ERRORS_BY_STATUS, dict[int, type[ApiError]])
    try:
        retrieve_conversation.sync("c", client=client)
    except NotFoundError as error:
        assert_type(error.status_code, int)
        assert_type(error.headers, httpx.Headers)
        assert_type(error.content, bytes)
        assert_type(error.problem, Problem | None)
        assert_type(error.title, str | None)
        assert_type(error.detail, str | None)
        assert_type(error.invalid_params, list[InvalidParam])
        assert_type(error.request_id, str | None)


async def async_surface(client: AuthenticatedClient) -> None:
    assert_type(await retrieve_conversation.asyncio("c", client=client), Conversation)
    async for conversation in list_conversations.aiterate(client=client, agent_id="a"):
        assert_type(conversation, Conversation)
