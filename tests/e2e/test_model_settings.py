"""model_settings on a real server: every provider's object stored and answered as given, a
merge-patch like the other fields, and bad values refused naming the field, changing nothing."""

from typing import Any

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    create_conversation,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.models import (
    AnthropicModelSettings,
    Conversation,
    ConversationCreate,
    ConversationUpdate,
    JsonSchemaResponseFormat,
    OpenAIModelSettings,
)

from tests.support import MODEL_SETTINGS

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

OPENAI = MODEL_SETTINGS["openai"]
ANTHROPIC = MODEL_SETTINGS["anthropic"]


def patch(http: httpx.Client, url: str, body: object) -> dict[str, Any]:
    answer = http.patch(url, json=body)
    assert answer.status_code == 200, answer.text
    retrieved: dict[str, Any] = http.get(url).json()
    assert retrieved == answer.json()
    return retrieved


def test_every_answer_carries_model_settings_null_when_unset(
    http: httpx.Client, agent_id: str
) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    assert created.status_code == 200, created.text
    url = f"/conversations/{created.json()['id']}"
    for answer in (
        created,
        http.get(url),
        http.patch(url, json={}),
        http.get("/conversations/default", params={"agent_id": agent_id}),
    ):
        assert answer.json()["model_settings"] is None, answer.text
    assert http.get("/conversations/").json()[0]["model_settings"] is None


@pytest.mark.parametrize("provider", sorted(MODEL_SETTINGS))
def test_every_provider_round_trips_exactly_as_given(
    http: httpx.Client, agent_id: str, provider: str
) -> None:
    given = MODEL_SETTINGS[provider]
    created = http.post(
        "/conversations/", params={"agent_id": agent_id}, json={"model_settings": given}
    )
    assert created.status_code == 200, created.text
    url = f"/conversations/{created.json()['id']}"
    answers: list[dict[str, Any]] = [
        created.json(),
        http.get(url).json(),
        patch(http, url, {"summary": "s"}),
    ]
    for answer in answers:
        # Nothing filled in or dropped, keys in their order.
        assert list(answer["model_settings"].items()) == list(given.items())
    listed = http.get("/conversations/", params={"agent_id": agent_id}).json()
    assert listed[0]["model_settings"] == given


def test_numbers_keep_their_type_and_unknown_fields_are_kept(
    http: httpx.Client, conversation: Conversation
) -> None:
    url = f"/conversations/{conversation.id}"
    given = {"provider_type": "openai", "temperature": 1, "seed": 7, "extra": {"a\u0000b": [0.5]}}
    answer = http.patch(url, json={"model_settings": given})
    assert answer.status_code == 200, answer.text
    assert b'"temperature":1,' in answer.content, "the integer 1 was answered as another number"
    assert http.get(url).json()["model_settings"] == given


def test_an_update_sets_replaces_whole_keeps_when_left_out_and_clears_with_null(
    http: httpx.Client, conversation: Conversation
) -> None:
    url = f"/conversations/{conversation.id}"
    assert patch(http, url, {"model_settings": OPENAI})["model_settings"] == OPENAI
    kept = patch(http, url, {"summary": "other"})
    assert kept["model_settings"] == OPENAI
    # Replaced as a whole: nothing of the openai object is merged into the new one.
    replacement = {"provider_type": "openai", "temperature": 0.2}
    assert patch(http, url, {"model_settings": replacement})["model_settings"] == replacement
    assert patch(http, url, {"model_settings": ANTHROPIC})["model_settings"] == ANTHROPIC
    cleared = patch(http, url, {"model_settings": None})
    assert cleared["model_settings"] is None and cleared["summary"] == "other"


def test_the_default_conversation_takes_model_settings_when_made_and_after(
    http: httpx.Client, agent_id: str
) -> None:
    params = {"agent_id": agent_id}
    made = http.patch("/conversations/default", params=params, json={"model_settings": OPENAI})
    assert made.status_code == 200, made.text
    assert made.json()["model_settings"] == OPENAI
    changed = http.patch(
        "/conversations/default", params=params, json={"model_settings": ANTHROPIC}
    )
    assert changed.json()["id"] == made.json()["id"]
    assert http.get("/conversations/default", params=params).json()["model_settings"] == ANTHROPIC


def test_the_generated_client_reads_each_provider_as_its_own_class(
    client: AuthenticatedClient, agent_id: str
) -> None:
    # openapi-python-client makes no use of the discriminator: it tries each member in turn,
    # and a member's provider_type enum refuses the others' tags.
    created = create_conversation.sync(
        client=client,
        agent_id=agent_id,
        body=ConversationCreate.from_dict({"model_settings": OPENAI}),
    )
    assert isinstance(created, Conversation)
    settings = created.model_settings
    assert isinstance(settings, OpenAIModelSettings)
    assert isinstance(settings.response_format, JsonSchemaResponseFormat)
    assert settings.to_dict() == OPENAI
    body = ConversationUpdate.from_dict({"model_settings": ANTHROPIC})
    updated = update_conversation.sync(created.id, client=client, body=body)
    assert isinstance(updated, Conversation)
    assert isinstance(updated.model_settings, AnthropicModelSettings)
    retrieved = retrieve_conversation.sync(created.id, client=client)
    assert retrieved == updated
    cleared = update_conversation.sync(
        created.id, client=client, body=ConversationUpdate(model_settings=None)
    )
    assert isinstance(cleared, Conversation) and cleared.model_settings is None


SGLANG, GOOGLE_AI = MODEL_SETTINGS["sglang"], MODEL_SETTINGS["google_ai"]
FIELD = "body.model_settings"
BAD_SETTINGS = [
    ({"provider_type": "mistral"}, f"{FIELD}.provider_type"),
    ({"provider_type": None}, f"{FIELD}.provider_type"),
    ({"temperature": 0.5}, FIELD),
    ("openai", FIELD),
    ([OPENAI], FIELD),
    ({**OPENAI, "temperature": "hot"}, f"{FIELD}.temperature"),
    ({**OPENAI, "temperature": 2.01}, f"{FIELD}.temperature"),
    ({**OPENAI, "temperature": -0.1}, f"{FIELD}.temperature"),
    ({**OPENAI, "max_output_tokens": 0}, f"{FIELD}.max_output_tokens"),
    ({**OPENAI, "max_output_tokens": 1.5}, f"{FIELD}.max_output_tokens"),
    ({**OPENAI, "parallel_tool_calls": "yes"}, f"{FIELD}.parallel_tool_calls"),
    ({**OPENAI, "reasoning": {"reasoning_effort": "max"}}, f"{FIELD}.reasoning.reasoning_effort"),
    ({**OPENAI, "response_format": {"type": "yaml"}}, f"{FIELD}.response_format.type"),
    ({**OPENAI, "response_format": {"type": "json_schema"}}, f"{FIELD}.response_format"),
    ({**ANTHROPIC, "effort": "extreme"}, f"{FIELD}.effort"),
    ({**ANTHROPIC, "thinking": {"budget_tokens": -1}}, f"{FIELD}.thinking.budget_tokens"),
    ({**SGLANG, "tool_call_parser": ""}, f"{FIELD}.tool_call_parser"),
    (
        {**GOOGLE_AI, "thinking_config": {"thinking_budget": -2}},
        f"{FIELD}.thinking_config.thinking_budget",
    ),
    (
        {**MODEL_SETTINGS["chatgpt_oauth"], "reasoning": {"reasoning_effort": "minimal"}},
        f"{FIELD}.reasoning.reasoning_effort",
    ),
]


@pytest.mark.parametrize(("settings", "name"), BAD_SETTINGS)
def test_a_bad_model_settings_is_a_422_naming_the_field_and_changes_nothing(
    http: httpx.Client, agent_id: str, conversation: Conversation, settings: object, name: str
) -> None:
    url = f"/conversations/{conversation.id}"
    patch(http, url, {"model_settings": OPENAI})
    before = http.get(url).json()
    params = {"agent_id": agent_id}
    body = {"model_settings": settings}
    for answer in (
        http.patch(url, json=body),
        http.patch("/conversations/default", params=params, json=body),
        http.post("/conversations/", params=params, json=body),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in answer.json()["invalid_params"]] == [name]
    assert http.get(url).json() == before
    listed = http.get("/conversations/", params={**params, "archive_status": "all"}).json()
    assert [c["id"] for c in listed] == [conversation.id], "a 422 made one"
