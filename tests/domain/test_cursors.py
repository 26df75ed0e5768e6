"""List cursors (server_impl/domain/cursors.py): a page with a next one hands out a signed place,
from which the next page starts wherever the conversation it names has gone since; a bare id
keeps its meaning; a cursor that this service did not make for this organization and order is
a 422 naming query.after."""

import asyncio
import itertools
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server_impl.domain.actor import Actor
from server_impl.domain.conversations import Conversations, Listed
from server_impl.domain.cursors import Cursors
from server_impl.domain.errors import InvalidValue
from server_impl.domain.model_settings import ConversationCreateAsGiven, ConversationUpdateAsGiven
from server_impl.domain.ports import ArchiveStatus, Order, OrderBy, Position
from tests.domain.fake_store import FakeStore

T = TypeVar("T")
ALICE = Actor(user_id="user-alice", organization_id="org-acme")
CAROL = Actor(user_id="user-carol", organization_id="org-globex")
AGENT = "agent-1"
ORDERS: list[Order] = ["asc", "desc"]
ORDER_BYS: list[OrderBy] = ["created_at", "last_message_at", "last_run_completion"]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def day(n: int) -> datetime:
    return datetime(2026, 1, n, tzinfo=UTC)


class World:
    """A service over a fake store, as ALICE, with conversations c0, c1, ... (ids conv-0, ...)."""

    def __init__(self) -> None:
        self.store = FakeStore()
        numbers = itertools.count()
        self.conversations = Conversations(self.store, new_id=lambda: f"conv-{next(numbers)}")

    def create(self, actor: Actor = ALICE) -> str:
        created = run(self.conversations.create(actor, AGENT, ConversationCreateAsGiven()))
        return created.conversation.id

    def set_last_message(self, conversation_id: str, at: datetime | None) -> None:
        patch = ConversationUpdateAsGiven(last_message_at=at)
        run(self.conversations.update(ALICE, conversation_id, patch))

    def page(self, actor: Actor = ALICE, **query: Any) -> Listed:
        query.setdefault("order", "asc")
        query.setdefault("limit", 3)
        return run(self.conversations.list(actor, **query))

    def rest(self, after: str | None, **query: Any) -> list[str]:
        """Every id from the page after `after` on, following each page's next cursor."""
        ids: list[str] = []
        while True:
            listed = self.page(after=after, **query)
            ids += [c["id"] for c in listed.conversations]
            if listed.next_cursor is None:
                return ids
            after = listed.next_cursor


@pytest.fixture
def ten() -> World:
    """c0…c9 with last_message_at 2026-01-01…10: the issue's repro."""
    world = World()
    for n in range(10):
        world.set_last_message(world.create(), day(n + 1))
    return world


C = [f"conv-{n}" for n in range(10)]
BY_MESSAGE: dict[str, Any] = {"order_by": "last_message_at"}


def test_a_walk_goes_on_past_its_cursor_conversation_moved_later(ten: World) -> None:
    first = ten.page(**BY_MESSAGE)
    assert [c["id"] for c in first.conversations] == C[0:3]
    ten.set_last_message(C[2], datetime(2030, 1, 1, tzinfo=UTC))
    # Moved, c2 is listed again where it now stands; every other one once.
    assert ten.rest(first.next_cursor, **BY_MESSAGE) == [*C[3:], C[2]]
    # A bare id follows its conversation's current place: after c2, now last, nothing.
    assert ten.rest(C[2], **BY_MESSAGE) == []


def test_a_newest_first_walk_repeats_nothing_when_its_cursor_conversation_moves(
    ten: World,
) -> None:
    first = ten.page(order="desc", **BY_MESSAGE)
    assert [c["id"] for c in first.conversations] == C[9:6:-1]
    ten.set_last_message(C[7], datetime(2030, 1, 1, tzinfo=UTC))
    assert ten.rest(first.next_cursor, order="desc", **BY_MESSAGE) == C[6::-1]


def test_a_walk_goes_on_when_its_cursor_conversation_is_cleared_or_deleted(ten: World) -> None:
    first = ten.page(order="desc", **BY_MESSAGE)
    ten.set_last_message(C[7], None)
    # Without a last message c7 now sorts last newest first: listed again there.
    assert ten.rest(first.next_cursor, order="desc", **BY_MESSAGE) == [*C[6::-1], C[7]]
    run(ten.conversations.delete(ALICE, C[7]))
    assert ten.rest(first.next_cursor, order="desc", **BY_MESSAGE) == C[6::-1]


def test_under_creation_order_a_cursor_and_a_bare_id_are_the_same_place(ten: World) -> None:
    for order_by in ("created_at", "last_run_completion"):
        for order in ORDERS:
            first = ten.page(order=order, order_by=order_by)
            ten.set_last_message(first.conversations[-1]["id"], datetime(2031, 1, 1, tzinfo=UTC))
            by_cursor = ten.rest(first.next_cursor, order=order, order_by=order_by)
            by_id = ten.rest(first.conversations[-1]["id"], order=order, order_by=order_by)
            assert by_cursor == by_id == (C[3:] if order == "asc" else C[6::-1])


def test_only_a_page_with_a_next_one_has_a_cursor(ten: World) -> None:
    for order_by in ORDER_BYS:
        assert ten.page(limit=10, order_by=order_by).next_cursor is None
        assert ten.page(limit=9, order_by=order_by).next_cursor is not None
        assert ten.page(limit=100, order_by=order_by).next_cursor is None


def test_places_a_microsecond_apart_and_ties_are_kept_apart() -> None:
    world = World()
    at = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    times = [at, at + timedelta(microseconds=1), at, None, at - timedelta(microseconds=1), None]
    ids = [world.create() for _ in times]
    for conversation_id, moment in zip(ids, times, strict=True):
        world.set_last_message(conversation_id, moment)
    ascending = [ids[3], ids[5], ids[4], ids[0], ids[2], ids[1]]
    for limit in (1, 2, 4):
        assert world.rest(None, limit=limit, **BY_MESSAGE) == ascending
        assert world.rest(None, limit=limit, order="desc", **BY_MESSAGE) == ascending[::-1]


# Refused cursors: each one a 422 naming query.after that says nothing of why. (Without a dot
# `after` is a bare id, looked up as given; the spec's pattern refuses any other shape.)


def refusal(world: World, after: str, actor: Actor = ALICE, **query: Any) -> str:
    with pytest.raises(InvalidValue) as raised:
        world.page(actor, after=after, **query)
    assert raised.value.name == "query.after"
    return raised.value.detail


def test_a_cursor_tampered_with_or_of_another_shape_is_refused_saying_nothing_of_why(
    ten: World,
) -> None:
    cursor = ten.page(**BY_MESSAGE).next_cursor
    assert cursor is not None
    payload, mac = cursor.split(".")
    flipped = "A" if payload[5] != "A" else "B"
    forged = [
        payload[:5] + flipped + payload[6:] + "." + mac,
        payload + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B"),
        payload + "." + mac + "\n",
        payload + "." + mac + "=",
        payload + "=." + mac,
        "." + mac,
        "conv-1." + mac,
        "conv-1" + "." + mac + ".",
        "not a cursor.",
    ]
    details = {refusal(ten, bad, **BY_MESSAGE) for bad in forged}
    assert len(details) == 1
    assert "conv-" not in details.pop()


def test_a_cursor_of_another_organization_order_or_database_is_refused(ten: World) -> None:
    carol_first = World()
    for _ in range(3):
        carol_first.create(CAROL)
    for order_by in ORDER_BYS:
        for order in ORDERS:
            cursor = ten.page(order=order, order_by=order_by, limit=2).next_cursor
            assert cursor is not None
            detail = refusal(ten, cursor, CAROL, order=order, order_by=order_by)
            for other_by in set(ORDER_BYS) - {order_by}:
                assert refusal(ten, cursor, order=order, order_by=other_by) == detail
            other_order = "desc" if order == "asc" else "asc"
            assert refusal(ten, cursor, order=other_order, order_by=order_by) == detail
            # Another database has another key.
            assert refusal(carol_first, cursor, order=order, order_by=order_by) == detail


def test_a_cursor_holds_the_place_exactly(ten: World) -> None:
    """What the service encodes it decodes, to the microsecond, and only with its own key."""
    codec = Cursors(run(ten.store.cursor_key()))
    for moment in (None, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59,
                   999999, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)):  # fmt: skip
        place = Position("conv-1", moment)
        cursor = codec.encode("org-acme", "last_message_at", "asc", place)
        assert codec.decode("org-acme", "last_message_at", "asc", cursor) == place
    # As asyncpg reads PostgreSQL's -infinity and infinity: naive, meaning UTC.
    for naive in (datetime.min, datetime.max):
        cursor = codec.encode("org-acme", "last_message_at", "desc", Position("conv-1", naive))
        decoded = codec.decode("org-acme", "last_message_at", "desc", cursor)
        assert decoded == Position("conv-1", naive.replace(tzinfo=UTC))
    assert codec.decode("org-acme", "created_at", "desc", codec.encode(
        "org-acme", "created_at", "desc", "conv-1")) == "conv-1"  # fmt: skip
    with pytest.raises(InvalidValue):
        Cursors(b"another key").decode("org-acme", "created_at", "desc", codec.encode(
            "org-acme", "created_at", "desc", "conv-1"))  # fmt: skip


# Random walks: whatever happens between pages, every conversation that did not change meanwhile
# is listed exactly once.


@dataclass(frozen=True)
class Step:
    action: str
    target: int
    day: int | None


STEPS = st.lists(
    st.builds(
        Step,
        st.sampled_from(["create", "move", "clear", "archive", "unarchive", "delete", "cursor"]),
        st.integers(0, 40),
        st.one_of(st.none(), st.integers(1, 28)),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.sampled_from(ORDERS),
    order_by=st.sampled_from(ORDER_BYS),
    archive_status=st.sampled_from(["unarchived", "archived", "all"]),
    limit=st.integers(1, 4),
    start=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=12),
    between=st.lists(STEPS, max_size=8),
)
def test_a_walk_lists_every_unchanged_conversation_once_whatever_happens_between_pages(
    order: Order,
    order_by: OrderBy,
    archive_status: ArchiveStatus,
    limit: int,
    start: list[int | None],
    between: list[list[Step]],
) -> None:
    world = World()
    ids = [world.create() for _ in start]
    for conversation_id, n in zip(ids, start, strict=True):
        if n is not None:  # few days: many ties
            world.set_last_message(conversation_id, day(n))
        if archive_status == "archived":
            run(world.conversations.update(ALICE, conversation_id, ConversationUpdateAsGiven(
                archived=True)))  # fmt: skip
    live, changed = list(ids), set()
    query: dict[str, Any] = {"order": order, "order_by": order_by, "limit": limit}
    query["archive_status"] = archive_status
    listed: list[str] = []
    after: str | None = None
    pages = iter(between)
    while True:
        page = world.page(after=after, **query)
        listed += [c["id"] for c in page.conversations]
        if page.next_cursor is None:
            break
        after = page.next_cursor
        for step in next(pages, []):
            if step.action == "create":
                live.append(world.create())
                continue
            if not live:
                continue
            target = page.conversations[-1]["id"] if step.action == "cursor" else (
                live[step.target % len(live)])  # fmt: skip
            if target not in live:
                continue
            changed.add(target)
            if step.action in ("move", "cursor"):
                world.set_last_message(target, None if step.day is None else day(step.day))
            elif step.action == "clear":
                world.set_last_message(target, None)
            elif step.action == "delete":
                run(world.conversations.delete(ALICE, target))
                live.remove(target)
            else:
                patch = ConversationUpdateAsGiven(archived=step.action == "archive")
                run(world.conversations.update(ALICE, target, patch))
    counts = Counter(listed)
    unchanged = set(ids) - changed
    assert all(counts[conversation_id] == 1 for conversation_id in unchanged), counts
    # An archive or a move may list a changed one twice at most; nothing else is listed.
    assert set(counts) <= set(live) | changed
