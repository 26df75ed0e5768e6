"""The fields newer SDK releases send (description, model, context_window_limit,
last_message_at, archived, hidden) and the list's order_by through the generated client on a
real server, and bad values of them refused."""

import datetime as dt

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
    Conversation,
    ConversationCreate,
    ConversationUpdate,
    ListConversationsArchiveStatus,
    ListConversationsOrder,
    ListConversationsOrderBy,
)
from letta_conversations_client.types import UNSET

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

NEW_FIELDS = (
    "archived", "archived_at", "context_window_limit", "description", "last_message_at", "model"
)  # fmt: skip


def update(
    client: AuthenticatedClient, conversation_id: str, body: ConversationUpdate
) -> Conversation:
    updated = update_conversation.sync(conversation_id, client=client, body=body)
    assert isinstance(updated, Conversation), updated
    retrieved = retrieve_conversation.sync(conversation_id, client=client)
    assert retrieved == updated
    return updated


def listed(
    client: AuthenticatedClient, agent_id: str, status: ListConversationsArchiveStatus | None
) -> list[str]:
    if status is None:
        page = list_conversations.sync(client=client, agent_id=agent_id)
    else:
        page = list_conversations.sync(client=client, agent_id=agent_id, archive_status=status)
    assert isinstance(page, list)
    return [conversation.id for conversation in page]


def test_every_response_carries_every_new_field_null_when_unset(
    http: httpx.Client, agent_id: str
) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    assert created.status_code == 200, created.text
    body = created.json()
    assert {name: body[name] for name in NEW_FIELDS} == dict.fromkeys(NEW_FIELDS) | {
        "archived": False
    }
    assert body["isolated_block_ids"] == [] and "hidden" not in body
    for answer in (
        http.get(f"/conversations/{body['id']}"),
        http.patch(f"/conversations/{body['id']}", json={}),
        http.get("/conversations/default", params={"agent_id": agent_id}),
    ):
        assert set(NEW_FIELDS) <= set(answer.json()), answer.text
    assert set(NEW_FIELDS) <= set(http.get("/conversations/").json()[0])


def test_create_stores_description_model_and_context_window_limit(
    client: AuthenticatedClient, agent_id: str
) -> None:
    fields = ConversationCreate(
        summary="s", description="d", model="openai/gpt-4o-mini", context_window_limit=128000
    )
    created = create_conversation.sync(client=client, agent_id=agent_id, body=fields)
    assert isinstance(created, Conversation)
    got = retrieve_conversation.sync(created.id, client=client)
    assert got == created
    assert isinstance(got, Conversation)
    assert (got.summary, got.description, got.model, got.context_window_limit) == (
        "s", "d", "openai/gpt-4o-mini", 128000
    )  # fmt: skip
    assert (got.archived, got.archived_at, got.last_message_at) == (False, None, None)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(ConversationUpdate(description="Dates, owners and risks"), id="description"),
        pytest.param(ConversationUpdate(model="together/meta-llama/Llama-3-70b"), id="model"),
        pytest.param(
            ConversationUpdate(context_window_limit=100_000_000), id="context_window_limit"
        ),
        pytest.param(
            ConversationUpdate(
                last_message_at=dt.datetime(2026, 11, 29, 10, 21, 0, 654321, tzinfo=dt.UTC)
            ),
            id="last_message_at",
        ),
    ],
)
def test_each_field_is_a_merge_patch(
    client: AuthenticatedClient, conversation: Conversation, change: ConversationUpdate
) -> None:
    (name,) = change.to_dict()
    value = getattr(change, name)
    assert getattr(update(client, conversation.id, change), name) == value
    kept = update(client, conversation.id, ConversationUpdate(summary="other"))
    assert getattr(kept, name) == value
    cleared = update(client, conversation.id, ConversationUpdate.from_dict({name: None}))
    assert getattr(cleared, name) is None and cleared.summary == "other"


def test_last_message_at_with_an_offset_is_answered_in_utc(
    http: httpx.Client, conversation: Conversation
) -> None:
    url = f"/conversations/{conversation.id}"
    answer = http.patch(url, json={"last_message_at": "2026-11-29T12:00:00.5+02:00"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["last_message_at"] == "2026-11-29T10:00:00.500000Z"


def test_last_message_at_at_the_ends_of_its_range_is_answered_in_utc(
    http: httpx.Client, conversation: Conversation
) -> None:
    url = f"/conversations/{conversation.id}"
    for given, answered in (
        ("0002-01-01T00:00:00+05:00", "0001-12-31T19:00:00Z"),
        ("9998-12-31T23:00:00-05:00", "9999-01-01T04:00:00Z"),
    ):
        answer = http.patch(url, json={"last_message_at": given})
        assert answer.status_code == 200, answer.text
        assert answer.json()["last_message_at"] == answered
        assert http.get(url).json()["last_message_at"] == answered


def test_archive_and_unarchive_and_what_each_archive_status_lists(
    client: AuthenticatedClient, agent_id: str
) -> None:
    ids = []
    for summary in ("one", "two"):
        made = create_conversation.sync(
            client=client, agent_id=agent_id, body=ConversationCreate(summary=summary)
        )
        assert isinstance(made, Conversation)
        ids.append(made.id)
    archived = update(client, ids[0], ConversationUpdate(archived=True))
    assert archived.archived and isinstance(archived.archived_at, dt.datetime)
    again = update(client, ids[0], ConversationUpdate(archived=True))
    assert again.archived_at == archived.archived_at
    statuses = ListConversationsArchiveStatus
    assert listed(client, agent_id, None) == [ids[1]]
    assert listed(client, agent_id, statuses.UNARCHIVED) == [ids[1]]
    assert listed(client, agent_id, statuses.ARCHIVED) == [ids[0]]
    assert listed(client, agent_id, statuses.ALL) == [ids[1], ids[0]]
    unarchived = update(client, ids[0], ConversationUpdate(archived=False))
    assert (unarchived.archived, unarchived.archived_at) == (False, None)
    assert listed(client, agent_id, statuses.ARCHIVED) == []
    update(client, ids[1], ConversationUpdate(archived=True))
    assert update(client, ids[1], ConversationUpdate(archived=None)).archived is False


def test_a_hidden_conversation_is_never_listed_but_works_by_id(
    client: AuthenticatedClient, http: httpx.Client, agent_id: str
) -> None:
    hidden = create_conversation.sync(
        client=client, agent_id=agent_id, body=ConversationCreate(summary="h", hidden=True)
    )
    assert isinstance(hidden, Conversation)
    update(client, hidden.id, ConversationUpdate(archived=True))
    for status in ListConversationsArchiveStatus:
        assert listed(client, agent_id, status) == [], status
    assert http.get(f"/conversations/{hidden.id}").status_code == 200
    assert http.delete(f"/conversations/{hidden.id}").status_code == 200
    assert http.get(f"/conversations/{hidden.id}").status_code == 404


BAD_VALUES = [
    ("description", 5),
    ("description", "x" * 10_001),
    ("description", "a\u0000b"),
    ("model", "gpt-4o"),
    ("model", "/gpt-4o"),
    ("model", "openai/"),
    ("model", "openai/gpt 4o"),
    ("model", "open ai/gpt-4o"),
    ("model", "openai/" + "x" * 250),
    ("model", 4),
    ("context_window_limit", 0),
    ("context_window_limit", -1),
    ("context_window_limit", 100_000_001),
    ("context_window_limit", 1.5),
    ("context_window_limit", "8000"),
    ("context_window_limit", True),
    ("last_message_at", "yesterday"),
    ("last_message_at", "2026-11-29T10:00:00"),
    ("last_message_at", "2026-11-29T23:59:60Z"),
    ("last_message_at", "0001-01-01T00:00:00+01:00"),
    ("last_message_at", "0001-12-31T00:00:00Z"),
    ("last_message_at", "9999-01-01T00:00:00Z"),
    ("last_message_at", 5),
    ("archived", "yes"),
    ("archived", 1),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_of_a_new_field_is_a_422_naming_it_and_changes_nothing(
    http: httpx.Client, agent_id: str, conversation: Conversation, name: str, value: object
) -> None:
    url = f"/conversations/{conversation.id}"
    before = http.get(url).json()
    params = {"agent_id": agent_id}
    answers = [
        http.patch(url, json={name: value}),
        http.patch("/conversations/default", params=params, json={name: value}),
    ]
    if name not in ("last_message_at", "archived"):
        answers.append(http.post("/conversations/", params=params, json={name: value}))
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in answer.json()["invalid_params"]] == [f"body.{name}"]
    assert http.get(url).json() == before
    listed_after = http.get("/conversations/", params={**params, "archive_status": "all"})
    assert [c["id"] for c in listed_after.json()] == [conversation.id], "a 422 made one"


def test_hidden_must_be_a_boolean_and_archive_status_one_of_three(
    http: httpx.Client, agent_id: str
) -> None:
    params = {"agent_id": agent_id}
    for hidden in ("yes", None, 1):
        answer = http.post("/conversations/", params=params, json={"hidden": hidden})
        assert answer.status_code == 422, answer.text
        assert [p["name"] for p in answer.json()["invalid_params"]] == ["body.hidden"]
    answer = http.get("/conversations/", params={"archive_status": "deleted"})
    assert answer.status_code == 422, answer.text
    assert [p["name"] for p in answer.json()["invalid_params"]] == ["query.archive_status"]
    assert http.get("/conversations/", params={**params, "archive_status": "all"}).json() == []


def walk(
    client: AuthenticatedClient,
    agent_id: str,
    order_by: ListConversationsOrderBy,
    order: ListConversationsOrder,
) -> list[str]:
    """Every page, two at a time, as the ids listed."""
    ids: list[str] = []
    after: str | None = None
    while True:
        page = list_conversations.sync(
            client=client, agent_id=agent_id, limit=2, order=order, order_by=order_by,
            after=UNSET if after is None else after,
        )  # fmt: skip
        assert isinstance(page, list)
        if not page:
            return ids
        ids += [conversation.id for conversation in page]
        after = ids[-1]


def test_order_by_last_message_at_pages_newest_first_with_none_last_and_ties_by_id(
    client: AuthenticatedClient, agent_id: str
) -> None:
    made = [
        create_conversation.sync(client=client, agent_id=agent_id, body=ConversationCreate())
        for _ in range(5)
    ]
    ids = [conversation.id for conversation in made if isinstance(conversation, Conversation)]
    noon = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    # 0 and 3 tie at noon, 1 is the latest (given in another offset), 2 and 4 have none.
    update(client, ids[0], ConversationUpdate(last_message_at=noon))
    update(client, ids[3], ConversationUpdate(last_message_at=noon))
    later = noon.astimezone(dt.timezone(dt.timedelta(hours=5))) + dt.timedelta(seconds=1)
    update(client, ids[1], ConversationUpdate(last_message_at=later))
    tied = sorted([ids[0], ids[3]], reverse=True)
    newest_first = [ids[1], *tied, *sorted([ids[2], ids[4]], reverse=True)]
    by_message = ListConversationsOrderBy.LAST_MESSAGE_AT
    assert walk(client, agent_id, by_message, ListConversationsOrder.DESC) == newest_first
    assert walk(client, agent_id, by_message, ListConversationsOrder.ASC) == newest_first[::-1]
    for order in ListConversationsOrder:
        by_run = walk(client, agent_id, ListConversationsOrderBy.LAST_RUN_COMPLETION, order)
        assert by_run == walk(client, agent_id, ListConversationsOrderBy.CREATED_AT, order)
    assert (
        walk(client, agent_id, ListConversationsOrderBy.CREATED_AT, ListConversationsOrder.ASC)
        == ids
    )


def test_order_by_must_be_one_of_three(http: httpx.Client) -> None:
    answer = http.get("/conversations/", params={"order_by": "updated_at"})
    assert answer.status_code == 422, answer.text
    assert [p["name"] for p in answer.json()["invalid_params"]] == ["query.order_by"]
