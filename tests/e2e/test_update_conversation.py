"""PATCH /v1/conversations/{conversation_id} through the generated client: the seed's operation."""

import datetime as dt

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    delete_conversation,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.models import Conversation, ConversationUpdate, Problem
from letta_conversations_client.types import Response

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

MISSING = "conv-00000000-0000-4000-8000-000000000000"


def update(
    client: AuthenticatedClient, conversation_id: str, body: ConversationUpdate
) -> Conversation:
    updated = update_conversation.sync(conversation_id, client=client, body=body)
    assert isinstance(updated, Conversation), updated
    return updated


def problem(response: Response[Conversation | Problem], status: int) -> Problem:
    assert response.status_code == status, response.content
    assert response.headers["content-type"] == "application/problem+json"
    assert isinstance(response.parsed, Problem)
    assert response.parsed.status == status
    return response.parsed


def test_a_string_summary_is_set(client: AuthenticatedClient, conversation: Conversation) -> None:
    updated = update(client, conversation.id, ConversationUpdate(summary="second"))
    assert updated.summary == "second"


def test_an_omitted_summary_is_left_unchanged(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    updated = update(client, conversation.id, ConversationUpdate())
    assert updated.summary == "first summary"


def test_a_null_summary_clears_it(client: AuthenticatedClient, conversation: Conversation) -> None:
    updated = update(client, conversation.id, ConversationUpdate(summary=None))
    assert updated.summary is None
    again = retrieve_conversation.sync(conversation.id, client=client)
    assert isinstance(again, Conversation)
    assert again.summary is None


def test_a_patch_without_body_changes_nothing_but_updated_at(
    http: httpx.Client, conversation: Conversation
) -> None:
    response = http.patch(f"/conversations/{conversation.id}")
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "first summary"
    assert response.json()["updated_at"] != conversation.to_dict()["updated_at"]


def test_every_update_stamps_updated_at_and_the_user_but_keeps_creation(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    first = update(client, conversation.id, ConversationUpdate(summary="a"))
    second = update(client, conversation.id, ConversationUpdate())
    assert isinstance(conversation.updated_at, dt.datetime)
    assert isinstance(first.updated_at, dt.datetime)
    assert isinstance(second.updated_at, dt.datetime)
    assert conversation.updated_at < first.updated_at < second.updated_at
    assert second.updated_at.utcoffset() == dt.timedelta(0)
    assert second.last_updated_by_id == conversation.created_by_id
    assert second.created_at == conversation.created_at
    assert second.created_by_id == conversation.created_by_id


def test_timestamps_are_rfc3339_with_an_offset(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id}).json()
    updated = http.patch(f"/conversations/{created['id']}", json={"summary": "x"}).json()
    for stamp in (created["created_at"], updated["updated_at"]):
        parsed = dt.datetime.fromisoformat(stamp)
        assert parsed.utcoffset() == dt.timedelta(0), stamp
        assert "T" in stamp


def test_the_answer_equals_a_retrieve_right_after(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    updated = update(client, conversation.id, ConversationUpdate(summary="same"))
    retrieved = retrieve_conversation.sync(conversation.id, client=client)
    assert isinstance(retrieved, Conversation)
    assert updated.to_dict() == retrieved.to_dict()
    assert updated.in_context_message_ids == retrieved.in_context_message_ids == []


def test_unknown_body_fields_are_ignored(http: httpx.Client, conversation: Conversation) -> None:
    response = http.patch(
        f"/conversations/{conversation.id}",
        json={"summary": "kept", "isolated_block_labels": ["human"], "future_field": {"a": 1}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "kept"
    assert "future_field" not in response.json()


def test_a_missing_conversation_is_a_404_problem(client: AuthenticatedClient) -> None:
    response = update_conversation.sync_detailed(
        MISSING, client=client, body=ConversationUpdate(summary="x")
    )
    assert MISSING in problem(response, 404).detail


def test_a_deleted_conversation_is_a_404_problem(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    delete_conversation.sync(conversation.id, client=client)
    response = update_conversation.sync_detailed(
        conversation.id, client=client, body=ConversationUpdate(summary="x")
    )
    problem(response, 404)


def test_a_summary_at_the_maximum_is_accepted(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    assert (
        len(update(client, conversation.id, ConversationUpdate(summary="é" * 10_000)).summary or "")
        == 10_000
    )
