"""Letta's official SDK (letta-client, pinned) against our server, unmodified."""

import asyncio
import datetime as dt

import letta_client
import pytest
from letta_client import AsyncLetta, Letta

from tests.conftest import Keys, RunningServer

pytestmark = pytest.mark.compat


def test_the_pinned_release_is_the_seeds() -> None:
    assert letta_client.__version__ == "1.7.8"


def test_create_retrieve_and_update_set_and_clear(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id, summary="from the SDK")
    assert created.id.startswith("conv-") and created.agent_id == agent_id
    assert isinstance(created.created_at, dt.datetime)

    retrieved = letta.conversations.retrieve(created.id)
    assert retrieved == created

    updated = letta.conversations.update(created.id, summary="changed")
    assert updated.summary == "changed"
    assert updated.updated_at is not None and created.updated_at is not None
    assert updated.updated_at > created.updated_at

    cleared = letta.conversations.update(created.id, summary=None)
    assert cleared.summary is None
    assert letta.conversations.retrieve(created.id).summary is None


def test_update_without_fields_is_the_seeds_snippet(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id, summary="kept")
    updated = letta.conversations.update(conversation_id=created.id)
    assert updated.id == created.id and updated.summary == "kept"


def test_list_with_pagination_and_search(letta: Letta, agent_id: str) -> None:
    ids = [letta.conversations.create(agent_id=agent_id, summary=f"note {n}").id for n in range(3)]
    first = letta.conversations.list(agent_id=agent_id, limit=2)
    assert [c.id for c in first] == [ids[2], ids[1]]
    rest = letta.conversations.list(agent_id=agent_id, limit=2, after=first[-1].id)
    assert [c.id for c in rest] == [ids[0]]
    found = letta.conversations.list(agent_id=agent_id, summary_search="NOTE 1")
    assert [c.id for c in found] == [ids[1]]


def test_default_with_agent_id_as_extra_query(letta: Letta, agent_id: str) -> None:
    updated = letta.conversations.update(
        "default", summary="default summary", extra_query={"agent_id": agent_id}
    )
    assert updated.id.startswith("conv-")
    retrieved = letta.conversations.retrieve("default", extra_query={"agent_id": agent_id})
    assert retrieved.id == updated.id and retrieved.summary == "default summary"


def test_errors_map_to_the_sdks_classes(letta: Letta, agent_id: str) -> None:
    with pytest.raises(letta_client.NotFoundError):
        letta.conversations.retrieve("conv-00000000-0000-4000-8000-000000000000")
    with pytest.raises(letta_client.UnprocessableEntityError):
        letta.conversations.update("conv-nope", summary="x")
    with pytest.raises(letta_client.UnprocessableEntityError):
        letta.conversations.retrieve("default")
    created = letta.conversations.create(agent_id=agent_id)
    with pytest.raises(letta_client.UnprocessableEntityError):
        letta.conversations.update(created.id, summary="x" * 10_001)


def test_the_async_client_works_too(async_letta: AsyncLetta, agent_id: str) -> None:
    async def scenario() -> None:
        async with async_letta as letta:
            created = await letta.conversations.create(agent_id=agent_id)
            updated = await letta.conversations.update(created.id, summary="async")
            assert updated.summary == "async"
            listed = await letta.conversations.list(agent_id=agent_id)
            assert [c.id for c in listed] == [created.id]

    asyncio.run(scenario())


def test_a_missing_or_wrong_api_key_raises_authentication_error(
    server: RunningServer, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LETTA_API_KEY", raising=False)
    anonymous = Letta(base_url=server.base_url, max_retries=0)
    with anonymous, pytest.raises(letta_client.AuthenticationError):
        anonymous.conversations.list(agent_id="agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")
    wrong = Letta(base_url=server.base_url, api_key=keys.alice + "x", max_retries=0)
    with wrong, pytest.raises(letta_client.AuthenticationError):
        wrong.conversations.retrieve("conv-00000000-0000-4000-8000-000000000000")


def test_the_api_key_can_come_from_the_environment(
    server: RunningServer, keys: Keys, monkeypatch: pytest.MonkeyPatch, agent_id: str
) -> None:
    monkeypatch.setenv("LETTA_API_KEY", keys.alice)
    with Letta(base_url=server.base_url, max_retries=0) as letta:
        assert letta.conversations.create(agent_id=agent_id).agent_id == agent_id
