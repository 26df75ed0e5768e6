"""Create, list (keyset pagination, filters, order) and delete, through the generated client."""

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    create_conversation,
    delete_conversation,
    list_conversations,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.models import (
    Conversation,
    ConversationCreate,
    ConversationUpdate,
    ListConversationsOrder,
    Problem,
)
from letta_conversations_client.types import UNSET, Unset

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only


def create(client: AuthenticatedClient, agent_id: str, summary: str | None = None) -> Conversation:
    body = ConversationCreate(summary=summary) if summary is not None else UNSET
    created = create_conversation.sync(client=client, agent_id=agent_id, body=body)
    assert isinstance(created, Conversation), created
    return created


def page(
    client: AuthenticatedClient,
    agent_id: str,
    *,
    limit: int = 50,
    after: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = UNSET,
    summary_search: str | Unset = UNSET,
) -> list[str]:
    found = list_conversations.sync(
        client=client,
        agent_id=agent_id,
        limit=limit,
        after=after,
        order=order,
        summary_search=summary_search,
    )
    assert isinstance(found, list), found
    return [conversation.id for conversation in found]


def walk(
    client: AuthenticatedClient,
    agent_id: str,
    *,
    limit: int,
    order: ListConversationsOrder | Unset = UNSET,
    after: str | Unset = UNSET,
) -> list[str]:
    """Every id after `after`, page by page. Fails at once when a page repeats an id already
    seen, which a cursor that does not advance would otherwise turn into an endless loop."""
    seen: list[str] = []
    while ids := page(client, agent_id, limit=limit, after=after, order=order):
        repeated = set(ids) & set(seen)
        assert not repeated, f"the page after {after} repeats {sorted(repeated)}"
        seen += ids
        after = ids[-1]
    return seen


def test_create_answers_the_full_conversation(client: AuthenticatedClient, agent_id: str) -> None:
    created = create(client, agent_id, "hello")
    assert created.id.startswith("conv-") and len(created.id) == 41
    assert created.agent_id == agent_id
    assert created.summary == "hello"
    assert created.created_at == created.updated_at
    assert created.created_by_id == created.last_updated_by_id
    assert created.in_context_message_ids == [] and created.isolated_block_ids == []
    retrieved = retrieve_conversation.sync(created.id, client=client)
    assert isinstance(retrieved, Conversation)
    assert retrieved.to_dict() == created.to_dict()


def test_create_without_a_body_has_no_summary(client: AuthenticatedClient, agent_id: str) -> None:
    assert create(client, agent_id).summary is None


def test_paths_work_with_and_without_the_trailing_slash(http: httpx.Client, agent_id: str) -> None:
    for path in ("/conversations/", "/conversations"):
        created = http.post(path, params={"agent_id": agent_id})
        assert created.status_code == 200, created.text
        listed = http.get(path, params={"agent_id": agent_id})
        assert listed.status_code == 200
        assert created.json()["id"] in [c["id"] for c in listed.json()]


def test_list_is_newest_first_by_default_and_oldest_first_with_asc(
    client: AuthenticatedClient, agent_id: str
) -> None:
    ids = [create(client, agent_id).id for _ in range(4)]
    assert page(client, agent_id) == ids[::-1]
    assert page(client, agent_id, order=ListConversationsOrder.ASC) == ids


@pytest.mark.parametrize("order", [ListConversationsOrder.DESC, ListConversationsOrder.ASC])
def test_pages_cover_every_conversation_once(
    client: AuthenticatedClient, agent_id: str, order: ListConversationsOrder
) -> None:
    ids = [create(client, agent_id).id for _ in range(7)]
    expected = ids[::-1] if order == ListConversationsOrder.DESC else ids
    assert walk(client, agent_id, limit=3, order=order) == expected


def test_pagination_stays_correct_while_others_insert_and_delete(
    client: AuthenticatedClient, agent_id: str
) -> None:
    ids = [create(client, agent_id).id for _ in range(6)]  # listed newest first: 5 4 3 2 1 0
    first = page(client, agent_id, limit=2)
    assert first == [ids[5], ids[4]]
    create(client, agent_id)  # newer than every cursor: must not shift later pages
    delete_conversation.sync(ids[4], client=client)  # the cursor itself
    delete_conversation.sync(ids[2], client=client)  # one not seen yet
    rest = walk(client, agent_id, limit=2, after=first[-1])
    assert rest == [ids[3], ids[1], ids[0]]


def test_list_filters_by_agent(client: AuthenticatedClient, agent_id: str) -> None:
    mine = create(client, agent_id).id
    other = create(client, "agent-99999999-8888-4777-a666-555555555555").id
    listed = page(client, agent_id)
    assert mine in listed and other not in listed


def test_list_limit_caps_the_page(client: AuthenticatedClient, agent_id: str) -> None:
    for _ in range(3):
        create(client, agent_id)
    assert len(page(client, agent_id, limit=2)) == 2


def test_summary_search_matches_substrings_ignoring_case(
    client: AuthenticatedClient, agent_id: str
) -> None:
    hit = create(client, agent_id, "Quarterly PLANNING notes").id
    create(client, agent_id, "something else")
    create(client, agent_id)
    assert page(client, agent_id, summary_search="planning") == [hit]


def test_summary_search_finds_summaries_as_patched_and_not_deleted_ones(
    client: AuthenticatedClient, agent_id: str
) -> None:
    changed, cleared, deleted = (create(client, agent_id, "rollout checklist").id for _ in "abc")
    for conversation_id, summary in ((changed, "rollback checklist"), (cleared, None)):
        updated = update_conversation.sync(
            conversation_id, client=client, body=ConversationUpdate(summary=summary)
        )
        assert isinstance(updated, Conversation), updated
    assert delete_conversation.sync_detailed(deleted, client=client).status_code == 200
    assert page(client, agent_id, summary_search="rollout") == []
    assert page(client, agent_id, summary_search="rollback") == [changed]
    assert page(client, agent_id, summary_search="checklist") == [changed]


def test_summary_search_treats_wildcards_literally(
    client: AuthenticatedClient, agent_id: str
) -> None:
    literal = create(client, agent_id, "100% done_ok").id
    create(client, agent_id, "100 percent doneXok")
    assert page(client, agent_id, summary_search="0% done_") == [literal]
    assert page(client, agent_id, summary_search="%") == [literal]


def test_an_unknown_cursor_is_a_404(client: AuthenticatedClient) -> None:
    response = list_conversations.sync_detailed(
        client=client, after="conv-00000000-0000-4000-8000-000000000000"
    )
    assert response.status_code == 404
    assert isinstance(response.parsed, Problem)


def test_delete_answers_the_conversation_and_hides_it_everywhere(
    client: AuthenticatedClient, http: httpx.Client, agent_id: str
) -> None:
    created = create(client, agent_id, "bye")
    deleted = delete_conversation.sync(created.id, client=client)
    assert isinstance(deleted, Conversation)
    assert deleted.to_dict() == created.to_dict()
    for method in ("GET", "PATCH", "DELETE"):
        response = http.request(method, f"/conversations/{created.id}")
        assert response.status_code == 404, (method, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert created.id not in page(client, agent_id)


def test_the_spec_and_swagger_ui_are_served(http: httpx.Client) -> None:
    spec = http.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["paths"]["/conversations/{conversation_id}"]["patch"]["operationId"] == (
        "update_conversation"
    )
    ui = http.get("/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()
