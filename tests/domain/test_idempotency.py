"""Idempotent create (server_impl/domain/idempotency.py): a request sent with a key runs at most
once per organization; its retries get its answer, a different request with the key is
refused, one in flight is told to retry, a failed one leaves the key free, keys expire.

The clock stands still unless a test moves it (clock.now), and new ids are conv-1, conv-2, ...
"""

import asyncio
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from server_impl.domain.actor import Actor
from server_impl.domain.conversations import Conversations
from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.idempotency import (
    LEASE,
    PURGE_BATCH,
    KeyInFlight,
    KeyReused,
    Outcome,
    fingerprint,
)
from server_impl.domain.model_settings import ConversationCreateAsGiven, ConversationUpdateAsGiven
from server_impl.domain.ports import IdempotencyClaim
from tests.domain.fake_store import FakeStore, Refused

ALICE = Actor(user_id="user-alice", organization_id="org-acme")
BOB = Actor(user_id="user-bob", organization_id="org-acme")
CAROL = Actor(user_id="user-carol", organization_id="org-globex")
AGENT = "agent-1"
KEY = "key-1"
TTL = timedelta(hours=24)
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def conversations(store: FakeStore, clock: Clock) -> Conversations:
    numbers = itertools.count(1)
    return Conversations(store, clock=clock, new_id=lambda: f"conv-{next(numbers)}", key_ttl=TTL)


def create(
    conversations: Conversations,
    body: dict[str, object] | None = None,
    *,
    actor: Actor = ALICE,
    agent_id: str = AGENT,
    key: str = KEY,
) -> Outcome:
    fields = ConversationCreateAsGiven.model_validate(body or {})
    return asyncio.run(conversations.create_once(actor, agent_id, fields, key, body))


def others_claim(store: FakeStore, *, at: datetime, organization_id: str = "org-acme") -> None:
    """Another request's claim on KEY, for the same request as create(conversations) makes,
    made at `at` and still running (or dead: nothing tells the two apart but the lease)."""
    asyncio.run(
        store.claim_idempotency_key(
            IdempotencyClaim(
                organization_id=organization_id,
                key=KEY,
                fingerprint=fingerprint(ALICE, AGENT, None),
                token="another request",
                lease_until=at + LEASE,
                expires_at=at + TTL,
            ),
            at,
        )
    )


def test_the_first_request_runs_and_its_retries_get_its_answer_replayed(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    first = create(conversations, {"summary": "s"})
    assert not first.replayed
    assert first.versioned.conversation.summary == "s" and first.versioned.version == 1
    clock.now += TTL - timedelta(seconds=1)
    retry = create(conversations, {"summary": "s"})
    assert retry.replayed and retry.versioned == first.versioned
    assert len(store.rows) == 1


def test_the_replayed_answer_is_the_first_one_even_after_the_conversation_changed(
    conversations: Conversations, store: FakeStore
) -> None:
    first = create(conversations)
    conversation_id = first.versioned.conversation.id
    patch = ConversationUpdateAsGiven(summary="changed")
    asyncio.run(conversations.update(ALICE, conversation_id, patch))
    asyncio.run(conversations.delete(ALICE, conversation_id))
    assert create(conversations).versioned == first.versioned
    assert len(store.rows) == 1


def test_the_same_request_is_the_same_user_agent_and_body_as_parsed_json() -> None:
    body = {"summary": "s", "model": "m", "extra": {"b": 1, "a": [1, 2]}}
    reordered = {"extra": {"a": [1, 2], "b": 1}, "model": "m", "summary": "s"}
    assert fingerprint(ALICE, AGENT, body) == fingerprint(ALICE, AGENT, reordered)
    assert fingerprint(ALICE, AGENT, None) == fingerprint(ALICE, AGENT, {})
    different = [
        fingerprint(BOB, AGENT, body),
        fingerprint(ALICE, "agent-2", body),
        fingerprint(ALICE, AGENT, {**body, "summary": "t"}),
        fingerprint(ALICE, AGENT, {**body, "extra": {"a": [2, 1], "b": 1}}),
        fingerprint(ALICE, AGENT, {**body, "unknown": None}),
    ]
    assert len({fingerprint(ALICE, AGENT, body), *different}) == 1 + len(different)


@pytest.mark.parametrize(
    "retry",
    [
        {"body": {"summary": "other"}},
        {"body": {"summary": "s", "unknown field": 1}},
        {"agent_id": "agent-2"},
        {"actor": BOB},
    ],
    ids=["another body", "another unknown field", "another agent", "another user"],
)
def test_the_key_with_a_different_request_is_refused_and_creates_nothing(
    conversations: Conversations, store: FakeStore, retry: dict[str, object]
) -> None:
    create(conversations, {"summary": "s"})
    arguments: dict[str, object] = {"body": {"summary": "s"}, **retry}
    with pytest.raises(KeyReused) as refused:
        create(conversations, **arguments)  # type: ignore[arg-type]
    assert refused.value.name == "header.Idempotency-Key"
    assert len(store.rows) == 1


def test_keys_are_per_organization(conversations: Conversations, store: FakeStore) -> None:
    acme = create(conversations, {"summary": "s"})
    globex = create(conversations, {"summary": "s"}, actor=CAROL)
    assert not globex.replayed
    assert globex.versioned.conversation.id != acme.versioned.conversation.id
    assert create(conversations, {"summary": "s"}, actor=CAROL).versioned == globex.versioned
    assert len(store.rows) == 2


def test_a_retry_while_the_first_is_in_flight_is_told_to_retry_and_creates_nothing(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    others_claim(store, at=clock.now)
    clock.now += LEASE - timedelta(microseconds=1)

    async def not_tried(*_args: object) -> None:
        raise AssertionError("a request that holds no key must not try to create")

    store.insert_answering = not_tried  # type: ignore[method-assign,assignment]
    with pytest.raises(KeyInFlight):
        create(conversations)
    assert store.rows == []


def test_a_different_request_is_refused_even_while_the_first_is_in_flight(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    others_claim(store, at=clock.now)
    with pytest.raises(KeyReused):
        create(conversations, {"summary": "other"})


def test_a_claim_left_by_a_dead_request_lapses_after_its_lease(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    others_claim(store, at=clock.now)
    clock.now += LEASE
    taken_over = create(conversations)
    assert not taken_over.replayed and len(store.rows) == 1
    assert create(conversations).versioned == taken_over.versioned


def test_a_request_whose_claim_was_taken_over_creates_nothing(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    # The first request stalls past its lease; a retry takes the key over and creates. When
    # the first one reaches the database at last, it must not create a second conversation.
    claim = store.claim_idempotency_key
    stalled: list[IdempotencyClaim] = []

    async def claim_then_stall(claimed: IdempotencyClaim, now: datetime) -> object:
        holder = await claim(claimed, now)
        if not stalled:
            stalled.append(claimed)
            clock.now += LEASE
            fields = ConversationCreateAsGiven()
            retry = await conversations.create_once(ALICE, AGENT, fields, KEY, None)
            assert not retry.replayed
        return holder

    store.claim_idempotency_key = claim_then_stall  # type: ignore[method-assign,assignment]
    with pytest.raises(KeyInFlight):
        create(conversations)
    assert len(store.rows) == 1


def test_a_failed_request_leaves_the_key_free_for_its_retry(
    conversations: Conversations, store: FakeStore
) -> None:
    store.refused_summary = "s"
    with pytest.raises(Refused):
        create(conversations, {"summary": "s"})
    assert store.rows == [] and store.idempotency_keys == {}
    store.refused_summary = None
    retried = create(conversations, {"summary": "s"})
    assert not retried.replayed and len(store.rows) == 1


def test_a_failed_request_that_cannot_release_its_key_holds_it_until_its_lease_lapses(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    release = store.release_idempotency_key

    async def unreachable(_claim: IdempotencyClaim) -> None:
        raise StorageUnavailable("gone")

    store.release_idempotency_key = unreachable  # type: ignore[method-assign,assignment]
    store.refused_summary = "s"
    with pytest.raises(Refused):  # its own failure, not the release's
        create(conversations, {"summary": "s"})
    store.release_idempotency_key = release  # type: ignore[method-assign]
    store.refused_summary = None
    with pytest.raises(KeyInFlight):
        create(conversations, {"summary": "s"})
    clock.now += LEASE
    assert not create(conversations, {"summary": "s"}).replayed
    assert len(store.rows) == 1


def test_an_expired_key_runs_as_a_new_one(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    first = create(conversations, {"summary": "s"})
    clock.now += TTL
    again = create(conversations, {"summary": "other"})  # a new request: the old one is gone
    assert not again.replayed
    assert again.versioned.conversation.id != first.versioned.conversation.id
    assert len(store.rows) == 2


def test_each_claim_purges_a_bounded_batch_of_expired_keys_earliest_first(
    conversations: Conversations, store: FakeStore, clock: Clock
) -> None:
    for number in range(PURGE_BATCH + 5):
        create(conversations, key=f"old-{number}")
        clock.now += timedelta(microseconds=1)
    clock.now = START + TTL + timedelta(hours=1)
    create(conversations, key="new")
    assert sorted(key for _, key in store.idempotency_keys) == sorted(
        ["new", *(f"old-{number}" for number in range(PURGE_BATCH, PURGE_BATCH + 5))]
    )
