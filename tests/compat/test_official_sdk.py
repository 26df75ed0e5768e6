"""Letta's official SDK against our server, unmodified: the seed's release (1.7.8, in .venv) and
the newest 1.x release (tests/compat/latest-sdk.txt, in .venv-sdk-latest). `make test` runs both.
"""

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import letta_client
import pytest
from letta_client import Letta

from server_impl.domain.ports import KeyLimit
from tests.support import MODEL_SETTINGS, Keys, RunningServer, mint_key_in_process

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

MISSING = "conv-00000000-0000-4000-8000-000000000000"
AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def newer_than_seed(letta: Letta) -> bool:
    return hasattr(letta.conversations, "delete")


@pytest.mark.skipif("LETTA_CLIENT_EXPECTED" not in os.environ, reason="run through make test")
def newer(letta: Letta) -> Any:
    """The conversations resource, for what only releases after the seed have: mypy checks this
    file against the seed's release, the one in .venv."""
    return letta.conversations


def test_the_release_under_test_is_the_pinned_one() -> None:
    assert letta_client.__version__ == os.environ["LETTA_CLIENT_EXPECTED"]


def test_create_retrieve_and_update_set_and_clear(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id, summary="from the SDK")
    assert created.id.startswith("conv-") and created.agent_id == agent_id
    assert created.created_at is not None and created.updated_at is not None

    assert letta.conversations.retrieve(created.id) == created

    updated = letta.conversations.update(created.id, summary="changed")
    assert updated.summary == "changed"
    assert updated.updated_at is not None and updated.updated_at > created.updated_at

    cleared = letta.conversations.update(created.id, summary=None)
    assert cleared.summary is None
    assert letta.conversations.retrieve(created.id).summary is None


def test_update_without_fields_is_the_seeds_snippet(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id, summary="kept")
    updated = letta.conversations.update(conversation_id=created.id)
    assert updated.id == created.id and updated.summary == "kept"


def test_fields_this_server_does_not_know_are_ignored(letta: Letta, agent_id: str) -> None:
    unknown = {"isolated_block_labels": ["human"], "a_field_of_a_later_release": {"x": 1}}
    created = letta.conversations.create(agent_id=agent_id, summary="s", extra_body=unknown)
    updated = letta.conversations.update(created.id, summary="t", extra_body=unknown)
    assert created.summary == "s" and updated.summary == "t"
    assert letta.conversations.retrieve(created.id) == updated


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


def test_delete_in_releases_that_have_it(letta: Letta, agent_id: str) -> None:
    if not newer_than_seed(letta):
        pytest.skip(f"letta-client {letta_client.__version__} has no conversations.delete")
    created = letta.conversations.create(agent_id=agent_id)
    newer(letta).delete(created.id)
    with pytest.raises(letta_client.NotFoundError):
        letta.conversations.retrieve(created.id)
    assert letta.conversations.list(agent_id=agent_id) == []


def test_a_missing_or_wrong_key_raises_authentication_error(
    connect: Callable[..., Letta], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LETTA_API_KEY", raising=False)
    with pytest.raises(letta_client.AuthenticationError):
        connect().conversations.list(agent_id=AGENT)
    with pytest.raises(letta_client.AuthenticationError):
        connect(api_key=keys.alice + "x").conversations.retrieve(MISSING)


def test_the_key_can_come_from_the_environment(
    connect: Callable[..., Letta], keys: Keys, monkeypatch: pytest.MonkeyPatch, agent_id: str
) -> None:
    monkeypatch.setenv("LETTA_API_KEY", keys.alice)
    assert connect().conversations.create(agent_id=agent_id).agent_id == agent_id


def test_a_missing_conversation_raises_not_found(letta: Letta) -> None:
    with pytest.raises(letta_client.NotFoundError) as raised:
        letta.conversations.retrieve(MISSING)
    assert raised.value.status_code == 404


def test_contract_violations_raise_unprocessable_entity(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id)
    with pytest.raises(letta_client.UnprocessableEntityError):
        letta.conversations.update("conv-nope", summary="x")
    with pytest.raises(letta_client.UnprocessableEntityError):
        letta.conversations.retrieve("default")
    with pytest.raises(letta_client.UnprocessableEntityError) as raised:
        letta.conversations.update(created.id, summary="x" * 10_001)
    assert "body.summary" in str(raised.value)


def test_a_create_retried_with_its_idempotency_key_returns_the_first_conversation(
    letta: Letta, agent_id: str
) -> None:
    key = {"Idempotency-Key": f"sdk-{agent_id}"}
    first = letta.conversations.create(agent_id=agent_id, summary="once", extra_headers=key)
    retry = letta.conversations.create(agent_id=agent_id, summary="once", extra_headers=key)
    assert retry == first
    with pytest.raises(letta_client.UnprocessableEntityError) as raised:
        letta.conversations.create(agent_id=agent_id, summary="other", extra_headers=key)
    assert "Idempotency-Key" in str(raised.value)
    assert [c.id for c in letta.conversations.list(agent_id=agent_id)] == [first.id]


def test_an_oversized_body_raises_a_413_status_error(letta: Letta, agent_id: str) -> None:
    created = letta.conversations.create(agent_id=agent_id, summary="kept")
    with pytest.raises(letta_client.APIStatusError) as raised:
        letta.conversations.update(created.id, summary="x" * (1024 * 1024 + 1))
    assert raised.value.status_code == 413
    assert letta.conversations.retrieve(created.id).summary == "kept"


# The fields of 1.12.1 (issue 12): stored and answered, where older releases sent none of them.


def with_new_fields(letta: Letta) -> Any:
    """The conversations resource of a release that sends the fields of 1.12.1; skips the test
    under older ones (the seed's 1.7.8 run stays as it was)."""
    params = getattr(letta_client.types, "ConversationUpdateParams", None)
    if params is None or "archived" not in params.__annotations__:
        pytest.skip(f"letta-client {letta_client.__version__} sends no archived, model, ...")
    return letta.conversations


def test_every_new_field_round_trips_through_create_update_and_retrieve(
    letta: Letta, agent_id: str
) -> None:
    conversations = with_new_fields(letta)
    created = conversations.create(
        agent_id=agent_id, summary="s", description="d", model="openai/gpt-4o-mini",
        context_window_limit=128000,
    )  # fmt: skip
    assert (created.description, created.model, created.context_window_limit) == (
        "d", "openai/gpt-4o-mini", 128000
    )  # fmt: skip
    assert (created.archived, created.archived_at, created.last_message_at) == (False, None, None)
    assert conversations.retrieve(created.id) == created

    last = datetime(2026, 11, 29, 10, 21, 0, 654321, tzinfo=UTC)
    updated = conversations.update(
        created.id, description="e", model="anthropic/claude-sonnet-4", context_window_limit=8000,
        last_message_at=last,
    )  # fmt: skip
    assert (updated.summary, updated.description, updated.model) == (
        "s", "e", "anthropic/claude-sonnet-4"
    )  # fmt: skip
    assert (updated.context_window_limit, updated.last_message_at) == (8000, last)
    assert conversations.retrieve(created.id) == updated

    kept = conversations.update(created.id, summary="t")
    assert (kept.description, kept.model, kept.last_message_at) == (
        "e", "anthropic/claude-sonnet-4", last
    )  # fmt: skip
    cleared = conversations.update(
        created.id, description=None, model=None, context_window_limit=None, last_message_at=None
    )
    assert (cleared.description, cleared.model, cleared.context_window_limit) == (None,) * 3
    assert cleared.last_message_at is None and cleared.summary == "t"
    assert conversations.retrieve(created.id) == cleared


def test_archive_and_unarchive_and_list_by_archive_status(letta: Letta, agent_id: str) -> None:
    conversations = with_new_fields(letta)
    first, second = (conversations.create(agent_id=agent_id, summary=s).id for s in "ab")
    archived = conversations.update(first, archived=True)
    assert archived.archived is True and archived.archived_at is not None
    assert conversations.update(first, archived=True).archived_at == archived.archived_at
    assert conversations.retrieve(first).archived is True

    def ids(**query: str) -> list[str]:
        return [c.id for c in conversations.list(agent_id=agent_id, **query)]

    assert ids() == [second]
    assert ids(archive_status="unarchived") == [second]
    assert ids(archive_status="archived") == [first]
    assert ids(archive_status="all") == [second, first]
    assert ids(archive_status="all", order="asc") == [first, second]

    unarchived = conversations.update(first, archived=False)
    assert (unarchived.archived, unarchived.archived_at) == (False, None)
    assert ids(archive_status="archived") == []
    assert ids() == [second, first]


def test_hidden_conversations_are_never_listed_but_work_by_id(letta: Letta, agent_id: str) -> None:
    conversations = with_new_fields(letta)
    hidden = conversations.create(agent_id=agent_id, summary="h", hidden=True)
    conversations.update(hidden.id, archived=True)
    for status in ("unarchived", "archived", "all"):
        assert conversations.list(agent_id=agent_id, archive_status=status) == [], status
    assert conversations.retrieve(hidden.id).summary == "h"
    conversations.delete(hidden.id)
    with pytest.raises(letta_client.NotFoundError):
        conversations.retrieve(hidden.id)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("description", "x" * 10_001),
        ("model", "gpt-4o"),
        ("model", "openai/gpt 4o"),
        ("context_window_limit", 0),
        ("context_window_limit", -5),
        ("context_window_limit", "many"),
        ("last_message_at", "yesterday"),
        ("archived", "yes"),
    ],
)
def test_a_bad_new_field_raises_unprocessable_entity_naming_it_and_changes_nothing(
    letta: Letta, agent_id: str, name: str, value: object
) -> None:
    conversations = with_new_fields(letta)
    created = conversations.create(agent_id=agent_id, summary="kept", model="openai/gpt-4o")
    with pytest.raises(letta_client.UnprocessableEntityError) as raised:
        conversations.update(created.id, **{name: value})
    assert f"body.{name}" in str(raised.value)
    if name not in ("last_message_at", "archived"):
        with pytest.raises(letta_client.UnprocessableEntityError):
            conversations.create(agent_id=agent_id, **{name: value})
    assert conversations.retrieve(created.id) == created
    assert [c.id for c in conversations.list(agent_id=agent_id, archive_status="all")] == [
        created.id
    ]


def test_both_orders_by_time_page_to_the_end(letta: Letta, agent_id: str) -> None:
    conversations = with_new_fields(letta)
    ids = [conversations.create(agent_id=agent_id, summary=f"{n}").id for n in range(5)]
    noon = datetime(2026, 11, 30, 12, tzinfo=UTC)
    conversations.update(ids[3], last_message_at=noon)
    conversations.update(ids[0], last_message_at=noon)
    conversations.update(ids[1], last_message_at=noon + timedelta(minutes=1))

    def walk(order_by: str, order: str) -> list[str]:
        listed: list[str] = []
        query: dict[str, str] = {}
        while page := conversations.list(
            agent_id=agent_id, limit=2, order=order, order_by=order_by, **query
        ):
            listed += [c.id for c in page]
            query = {"after": listed[-1]}
        return listed

    # Ties by id; without a last message, last when newest first.
    tied, without = sorted([ids[0], ids[3]]), sorted([ids[2], ids[4]])
    newest_first = [ids[1], *tied[::-1], *without[::-1]]
    assert walk("last_message_at", "desc") == newest_first
    assert walk("last_message_at", "asc") == newest_first[::-1]
    assert walk("created_at", "desc") == ids[::-1]
    assert walk("created_at", "asc") == ids
    # This server runs no agents: no conversation has a completed run, so creation order.
    assert walk("last_run_completion", "desc") == ids[::-1]


# model_settings (issue 12): 1.12.1 sends and parses it (as api_model_settings), one class per
# provider, picked by provider_type.


def with_model_settings(letta: Letta) -> Any:
    """The conversations resource of a release that sends model_settings; skips the test under
    older ones (the seed's 1.7.8 run stays as it was)."""
    params = getattr(letta_client.types, "ConversationUpdateParams", None)
    if params is None or "model_settings" not in params.__annotations__:
        pytest.skip(f"letta-client {letta_client.__version__} sends no model_settings")
    return letta.conversations


def settings_of(conversation: Any) -> Any:
    """model_settings as the SDK parsed it, back as the JSON object it sends."""
    return conversation.to_dict()["model_settings"]


@pytest.mark.parametrize("provider", sorted(MODEL_SETTINGS))
def test_model_settings_of_every_provider_round_trip_through_create_update_and_retrieve(
    letta: Letta, agent_id: str, provider: str
) -> None:
    conversations = with_model_settings(letta)
    given = MODEL_SETTINGS[provider]
    created = conversations.create(agent_id=agent_id, summary="s", model_settings=given)
    assert created.api_model_settings.provider_type == provider
    assert settings_of(created) == given
    assert conversations.retrieve(created.id) == created
    kept = conversations.update(created.id, summary="t")
    assert settings_of(kept) == given

    other = MODEL_SETTINGS["baseten" if provider != "baseten" else "openai"]
    replaced = conversations.update(created.id, model_settings=other)
    assert settings_of(replaced) == other
    assert conversations.retrieve(created.id) == replaced
    cleared = conversations.update(created.id, model_settings=None)
    assert cleared.api_model_settings is None and cleared.summary == "t"
    assert conversations.retrieve(created.id) == cleared


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"provider_type": "mistral", "temperature": 0.5}, "body.model_settings.provider_type"),
        ({"provider_type": "openai", "temperature": "hot"}, "body.model_settings.temperature"),
        ({"provider_type": "anthropic", "effort": "extreme"}, "body.model_settings.effort"),
    ],
)
def test_invalid_model_settings_raise_unprocessable_entity_and_change_nothing(
    letta: Letta, agent_id: str, settings: dict[str, object], name: str
) -> None:
    conversations = with_model_settings(letta)
    created = conversations.create(
        agent_id=agent_id, summary="kept", model_settings=MODEL_SETTINGS["openai"]
    )
    with pytest.raises(letta_client.UnprocessableEntityError) as raised:
        conversations.update(created.id, model_settings=settings)
    assert name in str(raised.value)
    with pytest.raises(letta_client.UnprocessableEntityError):
        conversations.create(agent_id=agent_id, model_settings=settings)
    assert conversations.retrieve(created.id) == created
    assert [c.id for c in conversations.list(agent_id=agent_id, archive_status="all")] == [
        created.id
    ]


@pytest.mark.client_only(False)  # mints its key in this thread: traced
def test_a_429_for_the_keys_rate_is_retried_after_retry_after_unseen(
    connect: Callable[..., Letta], server: RunningServer, agent_id: str
) -> None:
    # One request at once, then one every 2 s: the second call is refused, and retried.
    key = mint_key_in_process(
        server.database_url, f"sdk-{agent_id}", "bot", KeyLimit(rate_per_s=0.5, burst=1)
    )
    letta = connect(api_key=key, max_retries=2)
    created = letta.conversations.create(agent_id=agent_id)
    started = time.monotonic()
    assert [c.id for c in letta.conversations.list(agent_id=agent_id)] == [created.id]
    assert time.monotonic() - started >= 1.0  # it waited as Retry-After said
