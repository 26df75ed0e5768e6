"""Each storage engine on its own, against the same contract: tenancy, soft deletion, merge-patch
updates with versions, defaults, cursors, keys. The in-memory store that the domain tests use
(tests/domain/fake_store.py) runs every scenario too, so that it cannot drift from the engines;
a test about a database itself (a URL, races between connections, the database refusing a
value) runs on the engines only."""

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.keys import parse_name
from server_impl.domain.ports import (
    ArchiveStatus,
    Changes,
    ConversationFields,
    CursorNotFound,
    IdempotencyClaim,
    IdempotencyHolder,
    KeyLimit,
    NewConversation,
    Order,
    Page,
    Position,
    Store,
)
from server_impl.domain.versions import Versioned
from server_impl.storage import migrate, postgres, store_for
from server_impl.storage.tuning import Tuning
from tests.domain.fake_store import FakeStore
from tests.support import ENGINES, refuse_summary, run_async

ORG = "org-00000000-0000-4000-8000-00000000000a"
OTHER_ORG = "org-00000000-0000-4000-8000-00000000000b"
AGENT = "agent-00000000-0000-4000-8000-000000000001"
USER = "user-00000000-0000-4000-8000-000000000001"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

Scenario = Callable[[Store], Awaitable[None]]


MEMORY = "memory"


@pytest.fixture(params=[*ENGINES, MEMORY])
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine of the run, and the in-memory store."""
    engine = str(request.param)
    if engine == MEMORY and {"fresh_url", "new_database", "migrated_from_nothing"} & set(
        request.fixturenames
    ):
        pytest.skip("the in-memory store has no database to reach by URL")
    return engine


@pytest.fixture
def fresh_url(engine: str, new_database: Callable[[str], str]) -> str:
    """A fresh, migrated database of the engine."""
    return new_database(engine)


@pytest.fixture
def migrated_from_nothing(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], str]:
    """Makes a database of the engine migrated from nothing, not a copy of the run's migrated
    one (as new_database makes), for what the migrations draw at random; returns its URL."""

    def make() -> str:
        if engine == "sqlite":
            url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        else:
            url = request.getfixturevalue("postgres").new_database()
        migrate.upgrade(url)
        return url

    return make


@pytest.fixture
def run(engine: str, request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    """Runs a scenario against a fresh database of the engine (fresh_url's), or a new in-memory
    store."""
    url = None if engine == MEMORY else str(request.getfixturevalue("fresh_url"))

    def run_scenario(scenario: Scenario) -> None:
        async def opened() -> None:
            storage = FakeStore() if url is None else store_for(url)
            await storage.open()
            try:
                await scenario(storage)
            finally:
                await storage.close()

        run_async(opened())

    return run_scenario


def summary_is(summary: str) -> Changes:
    return Changes({"summary": summary})


def new(number: int, *, org: str = ORG, summary: str | None = None) -> NewConversation:
    return NewConversation(
        id=f"conv-00000000-0000-4000-8000-{number:012d}",
        organization_id=org,
        agent_id=AGENT,
        summary=summary,
        created_at=T0 + timedelta(seconds=number),
        created_by_id=USER,
    )


def test_insert_then_get_round_trips_every_field(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        inserted = await store.insert(new(1, summary="s"))
        got = await store.get(ORG, inserted.conversation.id)
        assert got == inserted
        assert got.version == 1
        conversation = got.conversation
        assert conversation.created_at == conversation.updated_at == T0 + timedelta(seconds=1)
        assert conversation.summary == "s" and conversation.in_context_message_ids == []

    run(scenario)


def test_a_row_the_model_now_refuses_is_still_answered_as_stored(
    run: Callable[[Scenario], None],
) -> None:
    # As a row written before a rule was added would be: a summary longer than 10,000.
    async def scenario(store: Store) -> None:
        inserted = await store.insert(new(1, summary="s" * 10_001))
        got = await store.get(ORG, inserted.conversation.id)
        assert got == inserted and got.conversation.summary == "s" * 10_001
        assert got.conversation.created_at == T0 + timedelta(seconds=1)
        assert await store.list_page(Page(ORG, 10, "desc")) == [inserted.conversation.model_dump()]

    run(scenario)


def test_another_organization_sees_nothing(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        inserted = await store.insert(new(1))
        cid = inserted.conversation.id
        assert await store.get(OTHER_ORG, cid) is None
        changed = await store.update(
            OTHER_ORG, cid, changes=summary_is("x"), updated_at=T0, updated_by_id=USER
        )
        assert changed is None
        assert await store.soft_delete(OTHER_ORG, cid, T0) is None
        assert await store.list_page(Page(organization_id=OTHER_ORG, limit=10, order="desc")) == []
        with pytest.raises(CursorNotFound):
            await store.list_page(Page(organization_id=OTHER_ORG, limit=9, order="asc", after=cid))
        assert await store.get(ORG, cid) == inserted

    run(scenario)


def test_update_sets_clears_or_keeps_the_summary_and_bumps_the_version(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        cid = (await store.insert(new(1, summary="a"))).conversation.id
        later = T0 + timedelta(days=1)
        versions = []

        async def update(summary: str | None, set_summary: bool) -> str | None:
            updated = await store.update(
                ORG, cid, changes=Changes({"summary": summary} if set_summary else {}),
                updated_at=later, updated_by_id="user-x",
            )  # fmt: skip
            assert updated is not None
            assert updated.conversation.updated_at == later
            assert updated.conversation.last_updated_by_id == "user-x"
            assert updated.conversation.created_by_id == USER
            versions.append(updated.version)
            return updated.conversation.summary

        assert await update(None, False) == "a"
        assert await update("b", True) == "b"
        assert await update(None, True) is None
        assert versions == [2, 3, 4]

    run(scenario)


def test_an_update_stamped_earlier_than_the_stored_time_keeps_the_stored_time(
    run: Callable[[Scenario], None],
) -> None:
    # Racing writers (or replicas with skewed clocks) may reach the row in another order than
    # they read their clocks; as the version rises, updated_at must not fall.
    async def scenario(store: Store) -> None:
        cid = (await store.insert(new(1))).conversation.id
        created = new(1).created_at

        async def update(moment: datetime) -> tuple[int, datetime | None]:
            updated = await store.update(
                ORG, cid, changes=Changes(), updated_at=moment, updated_by_id=USER
            )
            assert updated is not None
            return updated.version, updated.conversation.updated_at

        later = created + timedelta(microseconds=2)
        assert await update(created - timedelta(microseconds=1)) == (2, created)
        assert await update(later) == (3, later)
        assert await update(later - timedelta(microseconds=1)) == (4, later)
        assert await update(later + timedelta(days=1)) == (5, later + timedelta(days=1))
        stored = await store.get(ORG, cid)
        assert stored is not None and stored.conversation.updated_at == later + timedelta(days=1)

    run(scenario)


def test_a_version_condition_guards_update_and_delete(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        cid = (await store.insert(new(1, summary="a"))).conversation.id

        async def update(versions: frozenset[int]) -> int | None:
            updated = await store.update(
                ORG, cid, changes=summary_is("b"), updated_at=T0, updated_by_id=USER,
                if_version=versions,
            )  # fmt: skip
            return None if updated is None else updated.version

        assert await update(frozenset({2})) is None
        assert await update(frozenset()) is None
        assert await update(frozenset({1, 7})) == 2
        assert await update(frozenset({1})) is None
        assert await store.soft_delete(ORG, cid, T0, frozenset({1})) is None
        deleted = await store.soft_delete(ORG, cid, T0, frozenset({2}))
        assert deleted is not None and deleted.version == 2

    run(scenario)


def test_soft_delete_hides_the_row_but_keeps_it_as_a_cursor(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        for number in range(1, 4):
            await store.insert(new(number))
        middle = new(2).id
        assert await store.soft_delete(ORG, middle, T0) is not None
        assert await store.get(ORG, middle) is None
        assert await store.soft_delete(ORG, middle, T0) is None
        page = Page(organization_id=ORG, limit=10, order="desc", after=middle)
        assert [c["id"] for c in await store.list_page(page)] == [new(1).id]

    run(scenario)


def test_only_one_live_default_per_agent_and_organization(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        made = await store.get_or_insert_default(new(1))
        first = made.conversation.id
        assert first == new(1).id
        assert await store.get_or_insert_default(new(2)) == made, "finding it changed it"
        other = (await store.get_or_insert_default(new(3, org=OTHER_ORG))).conversation.id
        assert other != first
        await store.soft_delete(ORG, first, T0)
        assert await store.get_default(ORG, AGENT) is None
        assert (await store.get_or_insert_default(new(4))).conversation.id == new(4).id

    run(scenario)


def test_upsert_default_makes_the_default_already_updated_or_updates_the_live_one(
    run: Callable[[Scenario], None],
) -> None:
    later = T0 + timedelta(days=1)

    async def scenario(store: Store) -> None:
        async def upsert(number: int, summary: str | None = None, org: str = ORG) -> Versioned:
            return await store.upsert_default(
                new(number, org=org),
                changes=Changes({} if summary is None else {"summary": summary}),
                updated_at=later, updated_by_id="user-x",
            )  # fmt: skip

        ordinary = await store.insert(new(1))
        made = await upsert(2, "a")
        assert (made.conversation.id, made.version) == (new(2).id, 2)
        made_fields = made.conversation.model_dump(
            include={"summary", "created_at", "updated_at", "created_by_id", "last_updated_by_id"}
        )
        assert made_fields == {
            "summary": "a",
            "created_at": new(2).created_at,
            "updated_at": later,
            "created_by_id": USER,
            "last_updated_by_id": "user-x",
        }
        assert await store.get_default(ORG, AGENT) == made
        again = await upsert(3)
        assert (again.conversation.id, again.version, again.conversation.summary) == (
            new(2).id,
            3,
            "a",
        )
        other = await upsert(4, org=OTHER_ORG)
        assert (other.conversation.id, other.version) == (new(4).id, 2)
        await store.soft_delete(ORG, new(2).id, T0)
        fresh = await upsert(5, "b")
        assert (fresh.conversation.id, fresh.version) == (new(5).id, 2)
        assert await store.get(ORG, new(1).id) == ordinary

    run(scenario)


def test_an_upsert_of_the_default_the_database_refuses_makes_none(
    run: Callable[[Scenario], None], fresh_url: str
) -> None:
    refuse_summary(fresh_url, "refused")

    async def scenario(store: Store) -> None:
        async def upsert(number: int, summary: str) -> Versioned:
            return await store.upsert_default(
                new(number), changes=summary_is(summary), updated_at=T0,
                updated_by_id=USER,
            )  # fmt: skip

        with pytest.raises(Exception, match="refused"):
            await upsert(1, "refused")
        assert await store.get_default(ORG, AGENT) is None
        made = await upsert(2, "kept")
        with pytest.raises(Exception, match="refused"):
            await upsert(3, "refused")
        assert await store.get_default(ORG, AGENT) == made

    run(scenario)


def test_summary_search_escapes_like_wildcards(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        await store.insert(new(1, summary="50% off"))
        await store.insert(new(2, summary="500 off"))
        await store.insert(new(3, summary=r"back\slash"))

        async def search(text: str) -> list[str]:
            page = Page(organization_id=ORG, limit=10, order="asc", summary_search=text)
            return [c["id"] for c in await store.list_page(page)]

        assert await search("0%") == [new(1).id]
        assert await search("_") == []
        assert await search("\\") == [new(3).id]
        assert await search("OFF") == [new(1).id, new(2).id]

    run(scenario)


def test_keys_reuse_named_owners_and_revoke_once(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        async def mint(key_id: str, org: str, user: str) -> None:
            await store.insert_api_key(
                key_id=key_id, secret_hash="h", organization=parse_name(org),
                user=parse_name(user),
                new_organization_id=f"org-{key_id}", new_user_id=f"user-{key_id}",
                created_at=T0,
            )  # fmt: skip

        await mint("k1", "acme", "alice")
        await mint("k2", "acme", "alice")
        await mint("k3", "acme", "bob")
        owners = [await store.api_key_owner(k) for k in ("k1", "k2", "k3")]
        assert owners[0] and owners[1] and owners[2]
        assert owners[0].user_id == owners[1].user_id == "user-k1"
        assert owners[2].user_id == "user-k3" and owners[2].organization_id == "org-k1"
        assert [k.key_id for k in await store.list_api_keys()] == ["k1", "k2", "k3"]
        assert await store.revoke_api_key("k1", T0) is True
        assert await store.revoke_api_key("k1", T0) is False
        assert await store.revoke_api_key("nope", T0) is None
        revoked = await store.api_key_owner("k1")
        assert revoked is not None and revoked.revoked
        assert [k.key_id for k in await store.list_api_keys()] == ["k1", "k2", "k3"]

    run(scenario)


async def _mint(store: Store, key_id: str, limit: KeyLimit | None = None) -> None:
    await store.insert_api_key(
        key_id=key_id, secret_hash="h", organization=parse_name("acme"),
        user=parse_name("alice"), new_organization_id="org-1", new_user_id="user-1",
        created_at=T0, limit=limit,
    )  # fmt: skip


def test_a_keys_own_rate_limit_is_stored_with_it_then_changed_or_cleared(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        await _mint(store, "k1", KeyLimit(rate_per_s=0.5, burst=3))
        await _mint(store, "k2")
        owner, other = await store.api_key_owner("k1"), await store.api_key_owner("k2")
        assert owner and owner.limit == KeyLimit(rate_per_s=0.5, burst=3)
        assert other and other.limit is None
        assert await store.set_api_key_limit("k2", KeyLimit(rate_per_s=250.0, burst=1000)) is True
        assert await store.set_api_key_limit("k1", None) is True
        assert await store.set_api_key_limit("nope", None) is False
        listed = {key.key_id: key.limit for key in await store.list_api_keys()}
        assert listed == {"k1": None, "k2": KeyLimit(rate_per_s=250.0, burst=1000)}
        owner = await store.api_key_owner("k2")
        assert owner and owner.limit == KeyLimit(rate_per_s=250.0, burst=1000)

    run(scenario)


def test_an_allowance_starts_at_zero_and_keeps_what_each_lease_stores_per_key(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        await _mint(store, "k1")
        await _mint(store, "k2")
        seen: list[float] = []

        def take(value: float) -> float:
            seen.append(value)
            return value + 1_767_225_600.125  # a time, kept to the microsecond

        await store.lease_allowance("k1", take)
        await store.lease_allowance("k1", take)
        await store.lease_allowance("k2", take)
        assert seen == [0.0, 1_767_225_600.125, 0.0]

    run(scenario)


def test_racing_leases_of_one_key_take_turns_and_none_is_lost(
    engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)

    async def race() -> float:
        stores = [store_for(url) for _ in range(6)]
        for store in stores:
            await store.open()
        try:
            await _mint(stores[0], "k1")
            await asyncio.gather(
                *(store.lease_allowance("k1", lambda value: value + 1) for store in stores)
            )
            final: list[float] = []

            def read(value: float) -> float:
                final.append(value)
                return value

            await stores[0].lease_allowance("k1", read)
            return final[0]
        finally:
            for store in stores:
                await store.close()

    assert run_async(race()) == 6.0


def test_keys_match_owners_by_name_whatever_its_case_and_list_the_name_first_written(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        async def mint(key_id: str, org: str, user: str) -> tuple[str, str]:
            await store.insert_api_key(
                key_id=key_id, secret_hash="h", organization=parse_name(org),
                user=parse_name(user), new_organization_id=f"org-{key_id}",
                new_user_id=f"user-{key_id}", created_at=T0,
            )  # fmt: skip
            owner = await store.api_key_owner(key_id)
            assert owner is not None
            return owner.organization_id, owner.user_id

        assert await mint("k1", "Acme", "Alice") == ("org-k1", "user-k1")
        assert await mint("k2", "ACME", " alice ") == ("org-k1", "user-k1")
        assert await mint("k3", "acme", "Bob") == ("org-k1", "user-k3")
        # Folded in Python, the same on both engines: SQL's lower() keeps ß, and ASCII only
        # on SQLite.
        assert await mint("k4", "Straße", "Zoë") == ("org-k4", "user-k4")
        assert await mint("k5", "STRASSE", "ZOË") == ("org-k4", "user-k4")
        assert await mint("k6", "Globex", "alice") == ("org-k6", "user-k6")
        listed = [(k.organization_name, k.user_name) for k in await store.list_api_keys()]
        assert sorted(listed) == sorted(
            [("Acme", "Alice"), ("Acme", "Alice"), ("Acme", "Bob"), ("Straße", "Zoë"),
             ("Straße", "Zoë"), ("Globex", "alice")]
        )  # fmt: skip

    run(scenario)


def test_racing_keys_for_names_differing_in_case_share_one_organization_and_user(
    engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)
    names = [
        ("Acme", "alice"), ("acme", "ALICE"), ("ACME", "Alice"), ("aCmE", "bob"),
        (" acme", "BOB"), ("AcMe", "Bob"), ("acmE", "alice "), ("ACme", "bOb"),
    ]  # fmt: skip

    async def race() -> set[tuple[str, str]]:
        stores = [store_for(url) for _ in names]
        for store in stores:
            await store.open()
        try:
            await asyncio.gather(
                *(
                    store.insert_api_key(
                        key_id=f"k{n}", secret_hash="h", organization=parse_name(organization),
                        user=parse_name(user), new_organization_id=f"org-{n}",
                        new_user_id=f"user-{n}", created_at=T0,
                    )
                    for n, (store, (organization, user)) in enumerate(
                        zip(stores, names, strict=True)
                    )
                )
            )  # fmt: skip
            owners = [await stores[0].api_key_owner(f"k{n}") for n in range(len(stores))]
            return {(owner.organization_id, owner.user_id) for owner in owners if owner}
        finally:
            for store in stores:
                await store.close()

    owners = run_async(race())
    assert len({organization for organization, _ in owners}) == 1, owners
    assert len(owners) == 2, owners  # alice and bob


def test_only_one_of_racing_first_keys_is_stored(
    engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)

    async def race() -> list[bool]:
        stores = [store_for(url) for _ in range(4)]
        for store in stores:
            await store.open()
        try:
            return list(
                await asyncio.gather(
                    *(
                        store.insert_api_key(
                            key_id=f"k{n}", secret_hash="h", organization=parse_name("default"),
                            user=parse_name("admin"), new_organization_id=f"org-{n}",
                            new_user_id=f"user-{n}", created_at=T0, only_if_first=True,
                        )
                        for n, store in enumerate(stores)
                    )
                )
            )  # fmt: skip
        finally:
            for store in stores:
                await store.close()

    assert sorted(run_async(race())) == [False, False, False, True]


def test_a_key_that_fails_to_be_stored_leaves_no_organization_or_user_behind(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        async def insert(key_id: str, organization: str) -> bool:
            return await store.insert_api_key(
                key_id=key_id, secret_hash="h", organization=parse_name(organization),
                user=parse_name("u"),
                new_organization_id=f"org-{organization}-{key_id}",
                new_user_id=f"user-{organization}-{key_id}", created_at=T0,
            )  # fmt: skip

        assert await insert("k1", "acme")
        with pytest.raises(Exception, match="(?i)unique"):
            await insert("k1", "globex")  # the key id is taken: the whole transaction rolls back
        assert [k.key_id for k in await store.list_api_keys()] == ["k1"]
        assert await insert("k2", "globex")
        owner = await store.api_key_owner("k2")
        # Made by this call, with its ids: the failed call left no organization or user behind.
        assert owner is not None
        assert (owner.organization_id, owner.user_id) == ("org-globex-k2", "user-globex-k2")

    run(scenario)


# The fields of newer SDK releases (migration 0004).

LATER = T0 + timedelta(days=1)
PLAIN_VALUES: dict[str, tuple[object, object]] = {
    "summary": ("a", "b"),
    "description": ("d" * 10_000, "é ✓ 🙂"),
    "model": ("openai/gpt-4o-mini", "together/meta-llama/Llama-3-70b"),
    "context_window_limit": (1, 100_000_000),
    "last_message_at": (T0 - timedelta(microseconds=1), datetime(9999, 12, 31, tzinfo=UTC)),
    "model_settings": (
        {"provider_type": "openai", "temperature": 1, "max_output_tokens": 4096},
        {"provider_type": "zai", "thinking": {"type": "enabled"}, "note": '\x00 é 🙂 "\\'},
    ),
}


def test_insert_stores_the_new_fields_and_answers_every_one(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        plain = await store.insert(new(1))
        assert plain.conversation.model_dump(include=set(NEW_FIELD_NAMES)) == dict.fromkeys(
            NEW_FIELD_NAMES
        ) | {"archived": False}
        full = replace(
            new(2), description="d", model="openai/gpt-4o", context_window_limit=8000,
            model_settings=SETTINGS, hidden=True,
        )  # fmt: skip
        inserted = await store.insert(full)
        assert await store.get(ORG, full.id) == inserted
        got = inserted.conversation
        assert (got.description, got.model, got.context_window_limit) == (
            "d", "openai/gpt-4o", 8000
        )  # fmt: skip
        assert got.model_settings == SETTINGS

    run(scenario)


NEW_FIELD_NAMES = (
    "description", "model", "context_window_limit", "last_message_at", "archived", "archived_at",
    "model_settings",
)  # fmt: skip
# Kept as given (migration 0006): key order, integers and floats apart, U+0000, unknown fields.
SETTINGS = {
    "temperature": 0.1, "provider_type": "anthropic", "max_output_tokens": 1,
    "thinking": {"type": "enabled", "budget_tokens": 2048}, "x": [None, True, 1e300, "\x00"],
}  # fmt: skip


def test_model_settings_come_back_exactly_as_given(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        cid = (await store.insert(replace(new(1), model_settings=SETTINGS))).conversation.id
        got = await store.get(ORG, cid)
        assert got is not None
        stored = got.conversation.model_settings
        assert stored == SETTINGS and list(stored) == list(SETTINGS)
        assert type(stored["temperature"]) is float and type(stored["max_output_tokens"]) is int
        replaced = {"provider_type": "openai"}
        updated = await store.update(
            ORG, cid, changes=Changes({"model_settings": replaced}), updated_at=LATER,
            updated_by_id=USER,
        )  # fmt: skip
        assert updated is not None and updated.conversation.model_settings == replaced

    run(scenario)


@pytest.mark.parametrize("name", sorted(PLAIN_VALUES))
def test_update_of_each_plain_field_keeps_sets_or_clears_it_alone(
    run: Callable[[Scenario], None], name: str
) -> None:
    async def scenario(store: Store) -> None:
        cid = (await store.insert(new(1))).conversation.id
        first, second = PLAIN_VALUES[name]

        async def update(changes: Changes) -> object:
            updated = await store.update(
                ORG, cid, changes=changes, updated_at=LATER, updated_by_id=USER
            )
            assert updated is not None and updated == await store.get(ORG, cid)
            others = set(PLAIN_VALUES) - {name}
            assert all(getattr(updated.conversation, other) is None for other in others)
            return getattr(updated.conversation, name)

        assert await update(Changes({name: first})) == first
        assert await update(Changes()) == first
        assert await update(Changes({name: second})) == second
        assert await update(Changes({name: None})) is None
        assert await update(Changes()) is None

    run(scenario)


def test_archive_keeps_the_first_archived_at_and_unarchive_clears_it(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        cid = (await store.insert(new(1))).conversation.id

        async def update(archive: bool | None, at: datetime) -> tuple[bool, datetime | None]:
            changes = Changes(archive=archive, archived_at=at if archive else None)
            updated = await store.update(
                ORG, cid, changes=changes, updated_at=at, updated_by_id=USER
            )
            assert updated is not None
            return updated.conversation.archived, updated.conversation.archived_at

        assert await update(None, T0) == (False, None)
        assert await update(True, T0) == (True, T0)
        assert await update(True, LATER) == (True, T0)
        assert await update(None, LATER) == (True, T0)
        assert await update(False, LATER) == (False, None)
        assert await update(True, LATER) == (True, LATER)

    run(scenario)


def test_upsert_default_makes_a_default_with_the_changes_or_changes_the_live_one(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        changes = Changes(
            {
                "model": "openai/gpt-4o",
                "last_message_at": T0,
                "context_window_limit": 7,
                "model_settings": SETTINGS,
            },
            archive=True,
            archived_at=T0,
        )
        made = await store.upsert_default(
            new(1), changes=changes, updated_at=T0, updated_by_id=USER
        )
        got = made.conversation
        assert (got.model, got.last_message_at, got.context_window_limit) == (
            "openai/gpt-4o", T0, 7
        )  # fmt: skip
        assert (got.archived, got.archived_at, got.summary, made.version) == (True, T0, None, 2)
        assert got.model_settings == SETTINGS
        again = await store.upsert_default(
            new(2), changes=Changes({"model": None}, archive=False), updated_at=LATER,
            updated_by_id=USER,
        )  # fmt: skip
        got = again.conversation
        assert (got.id, got.model, got.context_window_limit) == (new(1).id, None, 7)
        assert got.model_settings == SETTINGS
        assert (got.archived, got.archived_at, again.version) == (False, None, 3)

    run(scenario)


def test_list_by_archive_status_never_lists_hidden_and_pages_exactly(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        # 1..8: the even ones archived, 3 and 4 hidden.
        for number in range(1, 9):
            await store.insert(replace(new(number), hidden=number in (3, 4)))
            if number % 2 == 0:
                archive = Changes(archive=True, archived_at=T0)
                await store.update(
                    ORG, new(number).id, changes=archive, updated_at=T0, updated_by_id=USER
                )

        async def listed(status: ArchiveStatus, order: Order = "desc") -> list[int]:
            numbers: list[int] = []
            after = None
            while True:
                page = Page(
                    organization_id=ORG, limit=2, order=order, after=after,
                    archive_status=status,
                )  # fmt: skip
                found = await store.list_page(page)
                if not found:
                    return numbers
                numbers += [int(c["id"][-12:]) for c in found]
                after = found[-1]["id"]

        assert await listed("unarchived") == [7, 5, 1]
        assert await listed("archived") == [8, 6, 2]
        assert await listed("all") == [8, 7, 6, 5, 2, 1]
        assert await listed("all", "asc") == [1, 2, 5, 6, 7, 8]
        hidden_cursor = Page(organization_id=ORG, limit=9, order="asc", after=new(3).id)
        assert [c["id"] for c in await store.list_page(hidden_cursor)] == [new(5).id, new(7).id]
        assert (await store.get(ORG, new(4).id)) is not None

    run(scenario)


async def _walk(store: Store, page: Page) -> list[int]:
    """Every page from page on, as the numbers of new(); fails if a page repeats an id."""
    numbers: list[int] = []
    while found := await store.list_page(page):
        numbers += [int(c["id"][-12:]) for c in found]
        page = replace(page, after=found[-1]["id"])
    assert len(numbers) == len(set(numbers)), numbers
    return numbers


def test_list_by_last_message_puts_none_last_newest_first_and_breaks_ties_by_id(
    run: Callable[[Scenario], None],
) -> None:
    # 1..9, created in that order; last messages out of creation order, 3 and 7 without one,
    # 2, 5 and 8 at one time (ties by id), 6 deleted, 9 hidden.
    times = {1: T0, 2: LATER, 4: T0 + timedelta(hours=1), 5: LATER, 8: LATER, 9: LATER}
    times |= {6: LATER + timedelta(days=1)}

    async def scenario(store: Store) -> None:
        for number in range(1, 10):
            await store.insert(replace(new(number), hidden=number == 9))
            if number in times:
                changes = Changes({"last_message_at": times[number]})
                await store.update(
                    ORG, new(number).id, changes=changes, updated_at=T0, updated_by_id=USER
                )
        await store.soft_delete(ORG, new(6).id, LATER)
        newest_first = [8, 5, 2, 4, 1, 7, 3]
        for limit in (1, 2, 3, 50):
            by_message = Page(ORG, limit=limit, order="desc", order_by="last_message_at")
            assert await _walk(store, by_message) == newest_first
            assert await _walk(store, replace(by_message, order="asc")) == newest_first[::-1]
        # A deleted conversation still anchors a cursor, at its place.
        after_deleted = Page(ORG, 50, "desc", after=new(6).id, order_by="last_message_at")
        assert await _walk(store, after_deleted) == newest_first
        after_none = Page(ORG, 50, "desc", after=new(7).id, order_by="last_message_at")
        assert await _walk(store, after_none) == [3]
        # No runs here: last_run_completion lists in creation order, as created_at does.
        for order in ("asc", "desc"):
            by_run = Page(ORG, 2, order, order_by="last_run_completion")
            assert await _walk(store, by_run) == await _walk(store, Page(ORG, 2, order))

    run(scenario)


def test_list_by_last_message_filters_by_agent_and_archive_status(
    run: Callable[[Scenario], None],
) -> None:
    other_agent = "agent-00000000-0000-4000-8000-000000000002"

    async def scenario(store: Store) -> None:
        for number in range(1, 7):
            agent = other_agent if number % 3 == 0 else AGENT
            await store.insert(replace(new(number), agent_id=agent))
            at = T0 - timedelta(minutes=number)  # the later made, the older its last message
            changes = Changes({"last_message_at": at}, archive=number % 2 == 0, archived_at=T0)
            await store.update(
                ORG, new(number).id, changes=changes, updated_at=T0, updated_by_id=USER
            )

        def page(status: ArchiveStatus, agent: str | None = AGENT) -> Page:
            return Page(ORG, 1, "desc", agent_id=agent, archive_status=status,
                        order_by="last_message_at")  # fmt: skip

        assert await _walk(store, page("all")) == [1, 2, 4, 5]
        assert await _walk(store, page("archived")) == [2, 4]
        assert await _walk(store, page("unarchived")) == [1, 5]
        assert await _walk(store, page("archived", other_agent)) == [6]
        assert await _walk(store, page("all", None)) == [1, 2, 3, 4, 5, 6]

    run(scenario)


def test_a_walk_by_last_message_lists_every_unmoved_conversation_once_while_others_move(
    run: Callable[[Scenario], None],
) -> None:
    """Between pages, conversations are given a new last message: those already read move
    to the front and are not read again; those not yet read leave the pages still to come."""

    async def scenario(store: Store) -> None:
        for number in range(1, 41):
            await store.insert(new(number))
            changes = Changes({"last_message_at": T0 + timedelta(minutes=number % 7)})
            await store.update(
                ORG, new(number).id, changes=changes, updated_at=T0, updated_by_id=USER
            )
        page = Page(ORG, 5, "desc", order_by="last_message_at")
        read: list[int] = []
        moved: set[int] = set()
        minute = 0
        while found := await store.list_page(page):
            read += [int(c["id"][-12:]) for c in found]
            page = replace(page, after=found[-1]["id"])
            # One read, one not yet read, none the cursor: each now has the newest message.
            unread = sorted(set(range(1, 41)) - set(read) - moved)
            for number in [read[len(read) // 2], *unread[:1]]:
                minute += 1
                at = LATER + timedelta(minutes=minute)
                await store.update(
                    ORG, new(number).id, changes=Changes({"last_message_at": at}),
                    updated_at=T0, updated_by_id=USER,
                )  # fmt: skip
                moved.add(number)
        assert len(read) == len(set(read)), "nothing read twice"
        assert set(range(1, 41)) - moved <= set(read), "every unmoved one read"

    run(scenario)


def _place(found: list[ConversationFields]) -> Position:
    """The place the domain makes of a page's last conversation (cursors.py)."""
    return Position(found[-1]["id"], found[-1]["last_message_at"])


# Times a microsecond apart, ties, none, and both ends of the range (on PostgreSQL the first
# instant of year 1 is '-infinity', the key of none, so it ties with none there).
PLACES = {
    1: T0, 2: T0 + timedelta(microseconds=1), 3: T0 - timedelta(microseconds=1), 4: None,
    5: T0, 6: datetime(1, 1, 1, tzinfo=UTC), 7: datetime(9999, 12, 31, 23, 59, 59, 999999,
    tzinfo=UTC), 8: None, 9: T0 + timedelta(microseconds=1), 10: LATER, 11: T0, 12: None,
}  # fmt: skip


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_a_walk_from_places_lists_every_unchanged_conversation_once_as_its_cursor_moves(
    run: Callable[[Scenario], None], order: Order
) -> None:
    """After each page the conversation its place was read from moves later, earlier, loses its
    last message or is deleted: the next page starts at the place all the same."""
    moves: list[datetime | None | str] = [
        LATER + timedelta(days=9), None, datetime(2, 1, 1, tzinfo=UTC), "delete",
        T0 + timedelta(microseconds=1), datetime(9999, 12, 31, tzinfo=UTC),
    ]  # fmt: skip

    async def scenario(store: Store) -> None:
        for number, at in PLACES.items():
            await store.insert(new(number))
            changes = Changes({"last_message_at": at})
            await store.update(ORG, new(number).id, changes=changes, updated_at=T0,
                               updated_by_id=USER)  # fmt: skip
        first = Page(ORG, 2, order, order_by="last_message_at")
        unmoved = await _walk(store, first)
        assert sorted(unmoved) == list(PLACES)
        page, read, moved = first, list[int](), set[int]()
        for step in itertools.count():
            found = await store.list_page(page)
            if not found:
                break
            read += [int(c["id"][-12:]) for c in found]
            page = replace(page, after=_place(found))
            cursor, move = found[-1]["id"], moves[step % len(moves)]
            moved.add(int(cursor[-12:]))
            if move == "delete":
                await store.soft_delete(ORG, cursor, LATER)
            else:
                changes = Changes({"last_message_at": move})
                await store.update(ORG, cursor, changes=changes, updated_at=T0,
                                   updated_by_id=USER)  # fmt: skip
        # Every other conversation once, in the order of the walk without moves.
        kept = [n for n in unmoved if n not in moved]
        assert [n for n in read if n not in moved] == kept, read
        assert len(kept) >= 4, "the walk read past the moves"

    run(scenario)


def test_a_place_reads_the_same_page_as_the_id_of_an_unmoved_conversation(
    run: Callable[[Scenario], None],
) -> None:
    """A place read from a row bounds the page exactly as that row's own key does, at every
    time of PLACES, in both orders and for every archive_status."""

    async def scenario(store: Store) -> None:
        for number, at in PLACES.items():
            await store.insert(new(number))
            changes = Changes({"last_message_at": at}, archive=number % 3 == 0, archived_at=T0)
            await store.update(ORG, new(number).id, changes=changes, updated_at=T0,
                               updated_by_id=USER)  # fmt: skip
        for order in ("asc", "desc"):
            for status in ("unarchived", "archived", "all"):
                page = Page(ORG, 50, order, archive_status=status, order_by="last_message_at")
                for row in await store.list_page(replace(page, archive_status="all")):
                    by_id = await store.list_page(replace(page, after=row["id"]))
                    by_place = await store.list_page(
                        replace(page, after=Position(row["id"], row["last_message_at"]))
                    )
                    ids = [c["id"] for c in by_place]
                    assert ids == [c["id"] for c in by_id], (order, row["id"])

    run(scenario)


def test_the_cursor_key_is_the_databases_own_shared_by_every_store_on_it(
    migrated_from_nothing: Callable[[], str],
) -> None:
    async def keys_of(url: str) -> bytes:
        store = store_for(url)
        await store.open()
        try:
            return await store.cursor_key()
        finally:
            await store.close()

    url = migrated_from_nothing()
    one = run_async(keys_of(url))
    assert len(one) == 32
    assert run_async(keys_of(url)) == one, "another process reads the same"
    assert run_async(keys_of(migrated_from_nothing())) != one, "another database has its own"


def claim_of(
    token: str,
    *,
    at: datetime = T0,
    key: str = "key-1",
    org: str = ORG,
    fingerprint: str = "fingerprint-1",
    lease: timedelta = timedelta(seconds=30),
    ttl: timedelta = timedelta(hours=24),
) -> IdempotencyClaim:
    return IdempotencyClaim(
        organization_id=org,
        key=key,
        fingerprint=fingerprint,
        token=token,
        lease_until=at + lease,
        expires_at=at + ttl,
    )


def test_a_key_is_claimed_once_until_its_lease_lapses_then_taken_over(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        first = await store.claim_idempotency_key(claim_of("a"), T0)
        assert first == IdempotencyHolder(fingerprint="fingerprint-1", token="a", answer=None)
        before_lapse = T0 + timedelta(seconds=29)
        held = await store.claim_idempotency_key(
            claim_of("b", fingerprint="other", at=before_lapse), before_lapse
        )
        assert held == first
        lapsed = T0 + timedelta(seconds=30)
        taken = await store.claim_idempotency_key(
            claim_of("c", fingerprint="other", at=lapsed), lapsed
        )
        assert taken == IdempotencyHolder(fingerprint="other", token="c", answer=None)
        # Another organization's key of the same name is another key.
        assert (await store.claim_idempotency_key(claim_of("d", org=OTHER_ORG), T0)).token == "d"

    run(scenario)


def test_the_answer_is_stored_with_the_conversation_and_held_until_the_key_expires(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        claim = claim_of("a")
        await store.claim_idempotency_key(claim, T0)
        created = await store.insert_answering(new(1, summary="s"), claim)
        assert created is not None and created == await store.get(ORG, new(1).id)
        # Long past the lease, until the key expires, the answer holds it, exactly as made.
        for at in (T0 + timedelta(hours=1), T0 + timedelta(hours=24) - timedelta(microseconds=1)):
            holder = await store.claim_idempotency_key(claim_of("b", at=at), at)
            assert holder == IdempotencyHolder(
                fingerprint="fingerprint-1", token="a", answer=created
            )
        # Answered once: neither the claim nor a changed conversation changes the answer.
        await store.update(
            ORG, new(1).id, changes=summary_is("t"), updated_at=T0, updated_by_id=USER
        )
        assert await store.insert_answering(new(2), claim) is None
        holder = await store.claim_idempotency_key(claim_of("b"), T0)
        assert holder.answer == created
        expired = T0 + timedelta(hours=24)
        assert await store.claim_idempotency_key(
            claim_of("c", at=expired), expired
        ) == IdempotencyHolder(fingerprint="fingerprint-1", token="c", answer=None)

    run(scenario)


def test_a_claim_taken_over_creates_nothing(run: Callable[[Scenario], None]) -> None:
    async def scenario(store: Store) -> None:
        stale = claim_of("a")
        await store.claim_idempotency_key(stale, T0)
        lapsed = T0 + timedelta(minutes=1)
        await store.claim_idempotency_key(claim_of("b", at=lapsed), lapsed)
        assert await store.insert_answering(new(1), stale) is None
        assert await store.get(ORG, new(1).id) is None
        assert (await store.claim_idempotency_key(claim_of("c", at=lapsed), lapsed)).token == "b"

    run(scenario)


def test_an_answer_the_model_now_refuses_is_still_replayed_as_stored(
    run: Callable[[Scenario], None],
) -> None:
    # As an answer kept before a rule was added would be: a model handle beyond visible ASCII,
    # a summary longer than 10,000.
    async def scenario(store: Store) -> None:
        claim = claim_of("a")
        await store.claim_idempotency_key(claim, T0)
        earlier = replace(new(1, summary="s" * 10_001), model="openai/gpt\u202e4o")
        created = await store.insert_answering(earlier, claim)
        assert created is not None
        holder = await store.claim_idempotency_key(claim_of("b"), T0)
        assert holder.answer == created
        assert holder.answer.conversation.created_at == T0 + timedelta(seconds=1)

    run(scenario)


def test_a_create_the_database_refuses_stores_no_answer_and_release_frees_the_key(
    run: Callable[[Scenario], None], fresh_url: str
) -> None:
    refuse_summary(fresh_url, "refused")

    async def scenario(store: Store) -> None:
        claim = claim_of("a")
        await store.claim_idempotency_key(claim, T0)
        with pytest.raises(Exception, match="refused"):
            await store.insert_answering(new(1, summary="refused"), claim)
        assert await store.get(ORG, new(1).id) is None
        assert (await store.claim_idempotency_key(claim_of("b"), T0)).token == "a"
        await store.release_idempotency_key(claim_of("b"))  # not its holder: nothing
        assert (await store.claim_idempotency_key(claim_of("b"), T0)).token == "a"
        await store.release_idempotency_key(claim)
        assert (await store.claim_idempotency_key(claim_of("b"), T0)).token == "b"

    run(scenario)


def test_an_answered_key_is_never_released(run: Callable[[Scenario], None]) -> None:
    # A create whose commit was acknowledged late (the connection dropped) releases its key
    # as failed; if it committed after all, its answer stays.
    async def scenario(store: Store) -> None:
        claim = claim_of("a")
        await store.claim_idempotency_key(claim, T0)
        created = await store.insert_answering(new(1), claim)
        await store.release_idempotency_key(claim)
        assert (await store.claim_idempotency_key(claim_of("b"), T0)).answer == created

    run(scenario)


def test_purge_forgets_a_bounded_batch_of_expired_keys_earliest_first(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(store: Store) -> None:
        ttl = timedelta(hours=1)
        for number in (3, 0, 5, 1, 4, 2):  # stored out of their order of expiry
            expiry = ttl + timedelta(seconds=number)
            await store.claim_idempotency_key(
                claim_of(f"t{number}", key=f"key-{number}", ttl=expiry), T0
            )
        await store.insert_answering(new(1), claim_of("t0", key="key-0"))
        now = T0 + ttl + timedelta(seconds=3)  # key-0 to key-3 have expired

        async def holder_at_t0(key: str) -> str:
            """Who holds key at T0, before any expiry: a purged key is free again."""
            probe = claim_of("probe", key=key, lease=timedelta(days=1), ttl=timedelta(days=1))
            return (await store.claim_idempotency_key(probe, T0)).token

        assert await store.purge_idempotency_keys(now, 2) == 2
        assert [await holder_at_t0("key-1"), await holder_at_t0("key-2")] == ["probe", "t2"]
        assert await store.purge_idempotency_keys(now, 100) == 2
        assert await store.purge_idempotency_keys(now, 100) == 0
        assert [await holder_at_t0("key-3"), await holder_at_t0("key-4")] == ["probe", "t4"]

    run(scenario)


def test_of_racing_claims_on_one_key_exactly_one_holds_it(
    engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)

    async def race() -> list[IdempotencyHolder]:
        stores = [store_for(url) for _ in range(6)]
        for store in stores:
            await store.open()
        try:
            return list(
                await asyncio.gather(
                    *(
                        store.claim_idempotency_key(claim_of(f"t{n}"), T0)
                        for n, store in enumerate(stores)
                    )
                )
            )
        finally:
            for store in stores:
                await store.close()

    holders = run_async(race())
    assert len({holder.token for holder in holders}) == 1, holders


def test_a_request_that_finds_the_pool_exhausted_gets_unavailable_after_the_acquire_timeout(
    postgres_url: str,
) -> None:
    async def scenario() -> None:
        store = store_for(
            postgres_url, Tuning(postgres_pool_size=1, postgres_acquire_timeout_s=0.2)
        )
        assert isinstance(store, postgres.PostgresStore)
        await store.open()
        try:
            async with store._acquire():  # the pool's one connection, held
                started = time.monotonic()
                with pytest.raises(StorageUnavailable):  # a wait without end fails here
                    await asyncio.wait_for(store.get(ORG, new(1).id), 5)
                assert 0.2 <= time.monotonic() - started < 2
            assert await store.get(ORG, new(1).id) is None  # released: served again
        finally:
            await store.close()

    run_async(scenario())
