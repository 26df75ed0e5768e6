"""The rules of every conversation operation (server_impl/domain/conversations.py).

The clock reads START, START + 1 s, START + 2 s, ... (at(n) is its n-th reading, from 0) and
new ids are conv-1, conv-2, ..., so every time and id below is exact.
"""

import asyncio
import itertools
import json
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from server_impl.domain.actor import Actor
from server_impl.domain.conversations import Conversations
from server_impl.domain.errors import InvalidValue, NotFound, PreconditionFailed
from server_impl.domain.model_settings import (
    MODEL_SETTINGS_MAX_BYTES,
    MODEL_SETTINGS_MAX_DEPTH,
    ConversationCreateAsGiven,
    ConversationUpdateAsGiven,
)
from server_impl.domain.ports import Current
from server_impl.domain.versions import IfMatch, Versioned
from tests.domain.fake_store import FakeStore, Refused

T = TypeVar("T")

ALICE = Actor(user_id="user-alice", organization_id="org-acme")
BOB = Actor(user_id="user-bob", organization_id="org-acme")
CAROL = Actor(user_id="user-carol", organization_id="org-globex")
AGENT = "agent-1"
OTHER_AGENT = "agent-2"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def at(reading: int) -> datetime:
    return START + timedelta(seconds=reading)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def as_stored(
    id: str = "conv-1",
    *,
    agent_id: str = AGENT,
    created: int = 0,
    updated: int | None = None,
    created_by: str = "user-alice",
    updated_by: str | None = None,
    summary: str | None = None,
) -> dict[str, object]:
    """A conversation as model_dump() gives it; times are clock readings."""
    return {
        "id": id,
        "agent_id": agent_id,
        "created_at": at(created),
        "created_by_id": created_by,
        "in_context_message_ids": [],
        "isolated_block_ids": [],
        "last_updated_by_id": updated_by or created_by,
        "summary": summary,
        "updated_at": at(created if updated is None else updated),
        "description": None,
        "model": None,
        "context_window_limit": None,
        "last_message_at": None,
        "archived": False,
        "archived_at": None,
        "model_settings": None,
    }


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def conversations(store: FakeStore) -> Conversations:
    readings, numbers = itertools.count(), itertools.count(1)
    return Conversations(
        store, clock=lambda: at(next(readings)), new_id=lambda: f"conv-{next(numbers)}"
    )


def create(conversations: Conversations, actor: Actor = ALICE, **fields: Any) -> str:
    agent_id = fields.pop("agent_id", AGENT)
    created = run(conversations.create(actor, agent_id, ConversationCreateAsGiven(**fields)))
    return created.conversation.id


def current_of(versioned: Versioned) -> Current:
    """What retrieve answers of a conversation a write answered."""
    return Current(versioned.conversation.model_dump(), versioned.version)


def summary_of(conversations: Conversations, conversation_id: str) -> str | None:
    summary: str | None = run(conversations.retrieve(ALICE, conversation_id)).fields["summary"]
    return summary


# create


def test_create_takes_id_from_new_id_times_from_clock_and_authors_from_actor(
    conversations: Conversations, store: FakeStore
) -> None:
    created = run(
        conversations.create(ALICE, AGENT, ConversationCreateAsGiven(summary="Spring plan"))
    )
    assert created.version == 1
    assert created.conversation.model_dump() == as_stored(summary="Spring plan")
    second = run(
        conversations.create(BOB, OTHER_AGENT, ConversationCreateAsGiven(summary="Budget"))
    )
    assert second.conversation.model_dump() == as_stored(
        "conv-2", agent_id=OTHER_AGENT, created=1, created_by="user-bob", summary="Budget"
    )
    assert [row.organization_id for row in store.rows] == ["org-acme", "org-acme"]


def test_create_without_summary_leaves_it_null(conversations: Conversations) -> None:
    created = run(conversations.create(ALICE, AGENT, ConversationCreateAsGiven()))
    assert created.conversation.model_dump() == as_stored(summary=None)


def test_create_makes_an_ordinary_conversation_not_the_agents_default(
    conversations: Conversations, store: FakeStore
) -> None:
    create(conversations)
    default = run(conversations.retrieve_default(ALICE, AGENT))
    assert default.conversation.id == "conv-2"
    assert [row.is_default for row in store.rows] == [False, True]


# retrieve


def test_retrieve_finds_a_conversation_of_the_actors_organization(
    conversations: Conversations,
) -> None:
    created = run(conversations.create(ALICE, AGENT, ConversationCreateAsGiven(summary="Plan")))
    assert run(conversations.retrieve(BOB, "conv-1")) == current_of(created)


def test_retrieve_of_another_organizations_conversation_is_not_found_like_a_missing_one(
    conversations: Conversations,
) -> None:
    create(conversations, ALICE)
    with pytest.raises(NotFound) as foreign:
        run(conversations.retrieve(CAROL, "conv-1"))
    with pytest.raises(NotFound) as missing:
        run(conversations.retrieve(CAROL, "conv-404"))
    assert type(foreign.value) is type(missing.value)
    assert foreign.value.detail == "No conversation conv-1."
    assert missing.value.detail == "No conversation conv-404."


def test_retrieve_of_a_deleted_conversation_is_not_found(conversations: Conversations) -> None:
    create(conversations)
    run(conversations.delete(ALICE, "conv-1"))
    with pytest.raises(NotFound, match=r"^No conversation conv-1\.$"):
        run(conversations.retrieve(ALICE, "conv-1"))


# update: a JSON merge-patch


def test_update_leaving_summary_out_keeps_it_but_still_bumps_version_and_updated_at(
    conversations: Conversations,
) -> None:
    create(conversations, summary="Plan")
    updated = run(conversations.update(BOB, "conv-1", ConversationUpdateAsGiven()))
    assert updated.version == 2
    assert updated.conversation.model_dump() == as_stored(
        updated=1, updated_by="user-bob", summary="Plan"
    )
    assert run(conversations.retrieve(ALICE, "conv-1")) == current_of(updated)


def test_update_with_summary_null_clears_it(conversations: Conversations) -> None:
    create(conversations, summary="Plan")
    updated = run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary=None)))
    assert updated.version == 2
    assert updated.conversation.model_dump() == as_stored(updated=1, summary=None)
    assert summary_of(conversations, "conv-1") is None


def test_update_with_a_summary_sets_it_with_time_from_clock_and_updater_from_actor(
    conversations: Conversations,
) -> None:
    create(conversations, summary="Plan")
    run(conversations.update(BOB, "conv-1", ConversationUpdateAsGiven(summary="Revised")))
    updated = run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary="Final")))
    assert updated.version == 3
    assert updated.conversation.model_dump() == as_stored(updated=2, summary="Final")
    assert run(conversations.retrieve(BOB, "conv-1")) == current_of(updated)


# conditional writes: 412 only for a conversation the actor may see, at another version


@pytest.mark.parametrize(
    "if_version",
    [frozenset({1}), frozenset({1, 3}), frozenset()],
    ids=["stale", "stale or future", "none issued"],
)
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_a_write_at_a_version_if_match_does_not_name_is_412_and_changes_nothing(
    conversations: Conversations, operation: str, if_version: frozenset[int]
) -> None:
    create(conversations, summary="Plan")
    current = run(
        conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary="Revised"))
    )
    with pytest.raises(PreconditionFailed, match=r"^Conversation conv-1 has changed since"):
        if operation == "update":
            patch = ConversationUpdateAsGiven(summary="Lost")
            run(conversations.update(BOB, "conv-1", patch, if_version))
        else:
            run(conversations.delete(BOB, "conv-1", if_version))
    assert run(conversations.retrieve(ALICE, "conv-1")) == current_of(current)


@pytest.mark.parametrize("if_version", [None, "*", frozenset({1}), frozenset({2}), frozenset()])
@pytest.mark.parametrize("target", ["missing", "deleted", "another organization's"])
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_write_to_a_missing_deleted_or_foreign_conversation_is_not_found_never_412(
    conversations: Conversations,
    store: FakeStore,
    operation: str,
    target: str,
    if_version: IfMatch | None,
) -> None:
    create(conversations, ALICE, summary="Plan")  # version 1
    create(conversations, CAROL, summary="Theirs")
    run(conversations.delete(ALICE, "conv-1"))
    conversation_id, actor = {
        "missing": ("conv-404", ALICE),
        "deleted": ("conv-1", ALICE),
        "another organization's": ("conv-2", ALICE),
    }[target]
    before = [(row.conversation, row.version, row.deleted_at) for row in store.rows]
    with pytest.raises(NotFound) as raised:
        if operation == "update":
            patch = ConversationUpdateAsGiven(summary="Changed")
            run(conversations.update(actor, conversation_id, patch, if_version))
        else:
            run(conversations.delete(actor, conversation_id, if_version))
    assert raised.value.detail == f"No conversation {conversation_id}."
    assert [(row.conversation, row.version, row.deleted_at) for row in store.rows] == before


def test_if_version_containing_the_current_version_lets_the_write_through(
    conversations: Conversations, store: FakeStore
) -> None:
    create(conversations, summary="Plan")
    patch = ConversationUpdateAsGiven(summary="Revised")
    updated = run(conversations.update(BOB, "conv-1", patch, frozenset({7, 1})))
    assert updated.version == 2
    assert updated.conversation.model_dump() == as_stored(
        updated=1, updated_by="user-bob", summary="Revised"
    )
    deleted = run(conversations.delete(ALICE, "conv-1", frozenset({2})))
    assert deleted == updated
    assert store.rows[0].deleted_at == at(2)


def test_if_match_star_lets_a_write_of_an_existing_conversation_through_at_any_version(
    conversations: Conversations,
) -> None:
    create(conversations, summary="Plan")
    run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary="Revised")))
    updated = run(
        conversations.update(BOB, "conv-1", ConversationUpdateAsGiven(summary="Star"), "*")
    )
    assert updated.version == 3 and updated.conversation.summary == "Star"
    assert run(conversations.delete(ALICE, "conv-1", "*")) == updated


# the default conversation of an agent


def test_retrieve_default_creates_it_on_first_use_and_returns_the_same_one_afterwards(
    conversations: Conversations, store: FakeStore
) -> None:
    first = run(conversations.retrieve_default(ALICE, AGENT))
    assert first.version == 1
    assert first.conversation.model_dump() == as_stored(summary=None)
    assert run(conversations.retrieve_default(BOB, AGENT)) == first
    assert run(conversations.retrieve_default(ALICE, AGENT)) == first
    assert len(store.rows) == 1
    assert create(conversations) == "conv-2"  # the lookups made no ids
    assert run(conversations.retrieve_default(ALICE, AGENT)) == first


def test_default_is_one_per_organization_and_agent(
    conversations: Conversations, store: FakeStore
) -> None:
    ids = [
        run(conversations.retrieve_default(actor, agent)).conversation.id
        for actor, agent in [(ALICE, AGENT), (CAROL, AGENT), (ALICE, OTHER_AGENT), (BOB, AGENT)]
    ]
    assert ids == ["conv-1", "conv-2", "conv-3", "conv-1"]
    assert [row.organization_id for row in store.rows] == ["org-acme", "org-globex", "org-acme"]
    assert run(conversations.retrieve(CAROL, "conv-2")).fields["created_by_id"] == "user-carol"


def test_look_up_default_finds_the_default_but_never_makes_one(
    conversations: Conversations, store: FakeStore
) -> None:
    with pytest.raises(NotFound) as raised:
        run(conversations.look_up_default(ALICE, AGENT))
    assert raised.value.detail == "Agent agent-1 has no default conversation."
    assert store.rows == []
    made = run(conversations.retrieve_default(ALICE, AGENT))
    assert run(conversations.look_up_default(BOB, AGENT)) == made
    with pytest.raises(NotFound):
        run(conversations.look_up_default(CAROL, AGENT))  # another organization's
    run(conversations.delete_default(ALICE, AGENT))
    with pytest.raises(NotFound):
        run(conversations.look_up_default(ALICE, AGENT))
    assert len(store.rows) == 1


def test_update_default_updates_the_agents_default(conversations: Conversations) -> None:
    run(conversations.retrieve_default(ALICE, AGENT))
    patch = ConversationUpdateAsGiven(summary="Default plan")
    updated = run(conversations.update_default(BOB, AGENT, patch, frozenset({1})))
    assert updated.version == 2
    assert updated.conversation.model_dump() == as_stored(
        updated=1, updated_by="user-bob", summary="Default plan"
    )
    assert run(conversations.retrieve_default(ALICE, AGENT)) == updated


def test_update_default_makes_the_default_first_when_there_is_none(
    conversations: Conversations,
) -> None:
    patch = ConversationUpdateAsGiven(summary="Fresh")
    updated = run(conversations.update_default(ALICE, AGENT, patch))
    assert updated.version == 2
    assert updated.conversation.model_dump() == as_stored(updated=1, summary="Fresh")
    assert run(conversations.retrieve_default(ALICE, AGENT)) == updated


def test_an_update_of_the_default_that_fails_makes_no_default(
    conversations: Conversations, store: FakeStore
) -> None:
    # The default once was made, and kept, before an update that the database then refused.
    store.refused_summary = "Refused"
    with pytest.raises(Refused):
        run(
            conversations.update_default(ALICE, AGENT, ConversationUpdateAsGiven(summary="Refused"))
        )
    assert store.rows == []
    kept = run(conversations.retrieve_default(ALICE, AGENT))
    with pytest.raises(Refused):
        run(conversations.update_default(BOB, AGENT, ConversationUpdateAsGiven(summary="Refused")))
    assert run(conversations.retrieve_default(ALICE, AGENT)) == kept


@pytest.mark.parametrize("if_match", [frozenset({1}), "*"])
def test_a_conditional_update_of_a_default_not_made_yet_is_412_and_makes_none(
    conversations: Conversations, store: FakeStore, if_match: IfMatch
) -> None:
    # No default means no version for If-Match to name, and `*` matches a current version
    # (RFC 9110, 13.1.1): the precondition fails, and making the default first would change
    # something while saying "Nothing was changed".
    patch = ConversationUpdateAsGiven(summary="x")
    with pytest.raises(PreconditionFailed, match="Agent agent-1 has no default conversation"):
        run(conversations.update_default(ALICE, AGENT, patch, if_match))
    assert store.rows == []


def test_if_match_star_updates_or_deletes_the_existing_default_at_any_version(
    conversations: Conversations,
) -> None:
    run(conversations.update_default(ALICE, AGENT, ConversationUpdateAsGiven(summary="v2")))
    updated = run(
        conversations.update_default(BOB, AGENT, ConversationUpdateAsGiven(summary="v3"), "*")
    )
    assert updated.version == 3 and updated.conversation.summary == "v3"
    assert run(conversations.delete_default(ALICE, AGENT, "*")) == updated


class DeletesTheDefaultOnceFound(FakeStore):
    """A store where, once armed, the default is deleted just after it is found, as by a
    DELETE committed between a lookup and the write that follows it."""

    armed = False

    async def get_default(self, organization_id: str, agent_id: str) -> Versioned | None:
        found = await super().get_default(organization_id, agent_id)
        if found is not None and self.armed:
            self.armed = False
            await self.soft_delete(organization_id, found.conversation.id, START)
        return found


@pytest.mark.parametrize("if_match", [frozenset({1}), "*"])
def test_a_conditional_update_of_the_default_deleted_meanwhile_is_412_and_makes_none(
    if_match: IfMatch,
) -> None:
    # It answered 404, which update_default_conversation never answers: with the default gone,
    # no version If-Match names is current, as when there was none to begin with.
    store = DeletesTheDefaultOnceFound()
    conversations = Conversations(store)
    run(conversations.retrieve_default(ALICE, AGENT))  # version 1
    store.armed = True
    with pytest.raises(PreconditionFailed, match="Agent agent-1 has no default conversation"):
        run(
            conversations.update_default(
                ALICE, AGENT, ConversationUpdateAsGiven(summary="x"), if_match
            )
        )
    assert len(store.rows) == 1 and store.rows[0].conversation.summary is None


@pytest.mark.parametrize("if_match", [None, "*", frozenset({1})])
def test_delete_default_without_a_default_is_not_found_naming_the_agent(
    conversations: Conversations, store: FakeStore, if_match: IfMatch | None
) -> None:
    # Without a default, DELETE answers 404 whatever If-Match says, as documented (its update
    # answers 412: no version can match).
    create(conversations, ALICE)  # not a default
    run(conversations.retrieve_default(CAROL, AGENT))  # another organization's default
    with pytest.raises(NotFound) as raised:
        run(conversations.delete_default(ALICE, AGENT, if_match))
    assert raised.value.detail == "Agent agent-1 has no default conversation."
    assert [row.deleted_at for row in store.rows] == [None, None]
    assert len(store.rows) == 2  # looking made no default


def test_after_delete_default_the_next_retrieve_default_makes_a_new_one(
    conversations: Conversations, store: FakeStore
) -> None:
    first = run(conversations.retrieve_default(ALICE, AGENT))
    assert run(conversations.delete_default(BOB, AGENT)) == first
    assert store.rows[0].deleted_at == at(1)
    with pytest.raises(NotFound):
        run(conversations.retrieve(ALICE, "conv-1"))
    with pytest.raises(NotFound, match=r"^Agent agent-1 has no default conversation\.$"):
        run(conversations.delete_default(ALICE, AGENT))
    second = run(conversations.retrieve_default(ALICE, AGENT))
    assert second.version == 1
    assert second.conversation.model_dump() == as_stored("conv-2", created=2)


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_a_write_of_the_default_with_a_stale_if_match_is_412_and_changes_nothing(
    conversations: Conversations, operation: str
) -> None:
    run(conversations.retrieve_default(ALICE, AGENT))
    current = run(
        conversations.update_default(ALICE, AGENT, ConversationUpdateAsGiven(summary="v2"))
    )
    with pytest.raises(PreconditionFailed, match=r"^Conversation conv-1 has changed since"):
        if operation == "update":
            patch = ConversationUpdateAsGiven(summary="Lost")
            run(conversations.update_default(BOB, AGENT, patch, frozenset({1})))
        else:
            run(conversations.delete_default(BOB, AGENT, frozenset({1})))
    assert run(conversations.retrieve_default(ALICE, AGENT)) == current
    assert run(conversations.delete_default(ALICE, AGENT, frozenset({2}))) == current


# the fields of newer SDK releases: each a merge-patch like summary; archive; hidden

NEW_FIELDS: dict[str, tuple[object, object]] = {
    "description": ("Dates and owners", "Risks"),
    "model": ("openai/gpt-4o-mini", "together/meta-llama/Llama-3-70b"),
    "context_window_limit": (8000, 128000),
    "last_message_at": (START - timedelta(days=1), START + timedelta(days=1)),
    "model_settings": (
        {"provider_type": "openai", "temperature": 1, "reasoning": {"reasoning_effort": "low"}},
        {"provider_type": "anthropic", "thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
}


def field_of(conversations: Conversations, name: str) -> object:
    return run(conversations.retrieve(ALICE, "conv-1")).fields[name]


@pytest.mark.parametrize("name", ["description", "model", "context_window_limit", "model_settings"])
def test_create_stores_each_plain_field(conversations: Conversations, name: str) -> None:
    value = NEW_FIELDS[name][0]
    created = run(
        conversations.create(ALICE, AGENT, ConversationCreateAsGiven.model_validate({name: value}))
    )
    assert created.conversation.model_dump() == {**as_stored(), name: value}
    assert field_of(conversations, name) == value


@pytest.mark.parametrize("name", sorted(NEW_FIELDS))
def test_update_of_each_field_is_a_merge_patch_left_out_keeps_null_clears_value_sets(
    conversations: Conversations, name: str
) -> None:
    first, second = NEW_FIELDS[name]
    create(conversations, summary="Plan")
    set_first = run(
        conversations.update(
            ALICE, "conv-1", ConversationUpdateAsGiven.model_validate({name: first})
        )
    )
    assert set_first.conversation.model_dump() == {
        **as_stored(updated=1, summary="Plan"),
        name: first,
    }
    kept = run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary="Other")))
    assert getattr(kept.conversation, name) == first
    changed = run(
        conversations.update(
            ALICE, "conv-1", ConversationUpdateAsGiven.model_validate({name: second})
        )
    )
    assert getattr(changed.conversation, name) == second
    assert changed.conversation.summary == "Other"
    cleared = run(
        conversations.update(
            ALICE, "conv-1", ConversationUpdateAsGiven.model_validate({name: None})
        )
    )
    assert cleared.conversation.model_dump() == as_stored(updated=4, summary="Other")
    assert field_of(conversations, name) is None


def test_model_settings_are_kept_as_given_and_an_update_replaces_them_whole(
    conversations: Conversations,
) -> None:
    given = {"provider_type": "openai", "temperature": 1, "max_output_tokens": 9, "seed": [4, 2]}
    create(conversations)
    run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(model_settings=given)))
    # No field filled in, the integer temperature not made a float, the unknown field kept.
    stored = field_of(conversations, "model_settings")
    assert stored == given and isinstance(given["temperature"], int)
    assert list(stored) == list(given)
    replacement = {"provider_type": "openai", "strict": True}
    run(
        conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(model_settings=replacement))
    )
    assert field_of(conversations, "model_settings") == replacement


def test_update_of_last_message_at_stores_it_in_utc(conversations: Conversations) -> None:
    create(conversations)
    given = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(last_message_at=given)))
    stored = field_of(conversations, "last_message_at")
    assert stored == given and isinstance(stored, datetime) and stored.tzinfo == UTC


def test_a_last_message_at_outside_utcs_years_is_invalid_naming_it_and_changes_nothing(
    conversations: Conversations, store: FakeStore
) -> None:
    create(conversations)
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(InvalidValue) as invalid:
        run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(last_message_at=early)))
    assert invalid.value.name == "body.last_message_at"
    assert store.rows[0].version == 1


def test_update_default_sets_the_new_fields_of_a_default_it_makes(
    conversations: Conversations,
) -> None:
    settings = {"provider_type": "xai", "temperature": 0.5}
    patch = ConversationUpdateAsGiven(
        description="d", model="openai/gpt-4o", archived=True, model_settings=settings
    )
    made = run(conversations.update_default(ALICE, AGENT, patch)).conversation
    assert (made.description, made.model, made.archived, made.archived_at) == (
        "d", "openai/gpt-4o", True, at(1)
    )  # fmt: skip
    assert made.model_settings == settings


def test_archiving_sets_archived_at_from_clock_and_archiving_again_keeps_it(
    conversations: Conversations,
) -> None:
    create(conversations)
    archived = run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(archived=True)))
    assert (archived.conversation.archived, archived.conversation.archived_at) == (True, at(1))
    again = run(conversations.update(BOB, "conv-1", ConversationUpdateAsGiven(archived=True)))
    assert (again.conversation.archived, again.conversation.archived_at) == (True, at(1))
    assert again.version == 3
    untouched = run(conversations.update(BOB, "conv-1", ConversationUpdateAsGiven(summary="s")))
    assert (untouched.conversation.archived, untouched.conversation.archived_at) == (True, at(1))


@pytest.mark.parametrize("unarchive", [False, None])
def test_unarchiving_with_false_or_null_clears_archived_and_archived_at(
    conversations: Conversations, unarchive: bool | None
) -> None:
    create(conversations)
    run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(archived=True)))
    patch = ConversationUpdateAsGiven(archived=unarchive)
    unarchived = run(conversations.update(ALICE, "conv-1", patch)).conversation
    assert unarchived.model_dump() == as_stored(updated=2)
    rearchived = run(
        conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(archived=True))
    )
    assert rearchived.conversation.archived_at == at(3), "a new archive, a new time"


def test_list_archive_status_picks_unarchived_by_default_archived_or_all(
    conversations: Conversations,
) -> None:
    for _ in range(3):
        create(conversations)
    run(conversations.update(ALICE, "conv-2", ConversationUpdateAsGiven(archived=True)))
    assert ids(conversations) == ["conv-3", "conv-1"]
    assert ids(conversations, archive_status="unarchived") == ["conv-3", "conv-1"]
    assert ids(conversations, archive_status="archived") == ["conv-2"]
    assert ids(conversations, archive_status="all") == ["conv-3", "conv-2", "conv-1"]
    assert ids(conversations, archive_status="all", order="asc", after="conv-1") == [
        "conv-2", "conv-3"
    ]  # fmt: skip


def test_hidden_conversations_are_never_listed_but_retrieve_update_and_delete_work(
    conversations: Conversations,
) -> None:
    create(conversations, hidden=True)
    create(conversations)
    for status in ("unarchived", "archived", "all"):
        assert "conv-1" not in ids(conversations, archive_status=status), status
    run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(archived=True)))
    assert ids(conversations, archive_status="archived") == []
    assert ids(conversations, archive_status="all") == ["conv-2"]
    assert run(conversations.retrieve(ALICE, "conv-1")).fields["archived"]
    assert ids(conversations, after="conv-1", order="asc") == ["conv-2"], "still a cursor"
    assert run(conversations.delete(ALICE, "conv-1")).conversation.id == "conv-1"


# list


@pytest.fixture
def listed(conversations: Conversations) -> Conversations:
    """conv-1 to conv-4 of acme, in creation order, and conv-5 of globex."""
    create(conversations, ALICE, summary="Spring release plan")
    create(conversations, BOB, agent_id=OTHER_AGENT, summary="Budget SPRINGS")
    create(conversations, ALICE)
    create(conversations, BOB, summary="spring cleaning")
    create(conversations, CAROL, summary="Spring at globex")
    return conversations


def ids(conversations: Conversations, limit: int = 10, **query: Any) -> list[str]:
    order = query.pop("order", "desc")
    page = run(conversations.list(ALICE, limit=limit, order=order, **query))
    return [conversation["id"] for conversation in page.conversations]


def test_list_desc_gives_newest_first_and_asc_oldest_first(listed: Conversations) -> None:
    assert ids(listed, order="desc") == ["conv-4", "conv-3", "conv-2", "conv-1"]
    assert ids(listed, order="asc") == ["conv-1", "conv-2", "conv-3", "conv-4"]


def test_list_gives_whole_conversations(listed: Conversations) -> None:
    page = run(listed.list(ALICE, limit=1, order="asc"))
    assert page.conversations == [as_stored(summary="Spring release plan")]


def test_list_limit_caps_the_page(listed: Conversations) -> None:
    assert ids(listed, limit=2, order="desc") == ["conv-4", "conv-3"]
    assert ids(listed, limit=1, order="asc") == ["conv-1"]


def test_list_after_a_cursor_continues_past_it_in_either_order(listed: Conversations) -> None:
    assert ids(listed, limit=2, after="conv-3") == ["conv-2", "conv-1"]
    assert ids(listed, limit=2, after="conv-1") == []
    assert ids(listed, limit=2, order="asc", after="conv-2") == ["conv-3", "conv-4"]
    assert ids(listed, limit=2, order="asc", after="conv-4") == []


def test_list_cursor_still_works_after_its_conversation_is_deleted(listed: Conversations) -> None:
    run(listed.delete(ALICE, "conv-3"))
    assert ids(listed) == ["conv-4", "conv-2", "conv-1"]
    assert ids(listed, after="conv-3") == ["conv-2", "conv-1"]
    assert ids(listed, order="asc", after="conv-3") == ["conv-4"]


@pytest.mark.parametrize("cursor", ["conv-404", "conv-5"], ids=["unknown", "another org's"])
def test_list_after_a_cursor_naming_no_conversation_is_not_found_naming_it(
    listed: Conversations, cursor: str
) -> None:
    with pytest.raises(NotFound) as raised:
        ids(listed, after=cursor)
    assert raised.value.detail == f"No conversation {cursor} to continue after."


def test_list_filters_by_agent(listed: Conversations) -> None:
    assert ids(listed, agent_id=AGENT) == ["conv-4", "conv-3", "conv-1"]
    assert ids(listed, agent_id=OTHER_AGENT) == ["conv-2"]
    assert ids(listed, agent_id=AGENT, after="conv-4", limit=1) == ["conv-3"]
    assert ids(listed, agent_id="agent-without-conversations") == []


def test_list_summary_search_is_a_case_insensitive_substring(listed: Conversations) -> None:
    assert ids(listed, summary_search="SPRING") == ["conv-4", "conv-2", "conv-1"]
    assert ids(listed, summary_search="release") == ["conv-1"]
    assert ids(listed, summary_search="spring", agent_id=AGENT) == ["conv-4", "conv-1"]
    assert ids(listed, summary_search="summer") == []


def test_list_leaves_out_deleted_conversations_and_other_organizations(
    listed: Conversations,
) -> None:
    run(listed.delete(BOB, "conv-1"))
    assert ids(listed, order="asc") == ["conv-2", "conv-3", "conv-4"]
    page = run(listed.list(CAROL, limit=10, order="asc"))
    assert [conversation["id"] for conversation in page.conversations] == ["conv-5"]


# delete


def test_delete_is_soft_and_afterwards_retrieve_update_and_delete_are_not_found(
    conversations: Conversations, store: FakeStore
) -> None:
    created = run(conversations.create(ALICE, AGENT, ConversationCreateAsGiven(summary="Plan")))
    assert run(conversations.delete(BOB, "conv-1")) == created
    assert len(store.rows) == 1
    assert store.rows[0].deleted_at == at(1)
    with pytest.raises(NotFound, match=r"^No conversation conv-1\.$"):
        run(conversations.retrieve(ALICE, "conv-1"))
    with pytest.raises(NotFound, match=r"^No conversation conv-1\.$"):
        run(conversations.update(ALICE, "conv-1", ConversationUpdateAsGiven(summary="Back")))
    with pytest.raises(NotFound, match=r"^No conversation conv-1\.$"):
        run(conversations.delete(ALICE, "conv-1"))
    assert store.rows[0].deleted_at == at(1)
    assert store.rows[0].conversation.model_dump() == as_stored(summary="Plan")


# the bounds of what a conversation holds, beyond what the schema states


def settings_of_size(size: int) -> dict[str, object]:
    """model_settings taking exactly size bytes as compact JSON."""
    settings: dict[str, object] = {"provider_type": "openai", "note": ""}
    settings["note"] = "x" * (size - len(json.dumps(settings, separators=(",", ":"))))
    return settings


def nested_settings(depth: int) -> dict[str, object]:
    """model_settings nesting objects depth levels deep, itself the first."""
    settings: dict[str, object] = {"provider_type": "openai"}
    inner = settings
    for _ in range(depth - 1):
        inner["deeper"] = {}
        inner = inner["deeper"]  # type: ignore[assignment]
    return settings


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (settings_of_size(MODEL_SETTINGS_MAX_BYTES + 1), "at most 16384 bytes"),
        (nested_settings(MODEL_SETTINGS_MAX_DEPTH + 1), "more than 32 levels deep"),
    ],
    ids=["size", "depth"],
)
def test_model_settings_beyond_its_size_or_depth_is_refused_naming_it_on_create_and_update(
    conversations: Conversations, store: FakeStore, settings: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidValue) as invalid:
        create(conversations, model_settings=settings)
    assert (invalid.value.name, reason in invalid.value.detail) == ("body.model_settings", True)
    create(conversations)
    with pytest.raises(InvalidValue) as invalid:
        run(
            conversations.update(
                ALICE, "conv-1", ConversationUpdateAsGiven(model_settings=settings)
            )
        )
    assert invalid.value.name == "body.model_settings"
    assert [(row.conversation.model_settings, row.version) for row in store.rows] == [(None, 1)]


def test_model_settings_at_its_size_and_depth_is_kept(conversations: Conversations) -> None:
    for settings in (
        settings_of_size(MODEL_SETTINGS_MAX_BYTES),
        nested_settings(MODEL_SETTINGS_MAX_DEPTH),
    ):
        created = run(
            conversations.create(ALICE, AGENT, ConversationCreateAsGiven(model_settings=settings))
        )
        assert created.conversation.model_settings == settings
