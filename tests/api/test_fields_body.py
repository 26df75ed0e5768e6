"""A conversation's and a list page's body (handlers.fields_body), written from plain fields, is
byte for byte what pydantic's serializer makes of the same as models, which is how every GET
and list answer was written before: field order, time format, nulls, escaping, numbers in
model_settings."""

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from starlette.testclient import TestClient

from server_impl.api.handlers import fields_body
from server_impl.domain.model_settings import ConversationAsStored
from server_impl.domain.ports import Changes, ConversationFields, NewConversation, Page
from server_impl.storage import conversation_rows, store_for
from tests.support import run_async

MODEL_PAGE = TypeAdapter(list[ConversationAsStored])
ORG = "org-00000000-0000-4000-8000-0000000000c1"
USER = "user-00000000-0000-4000-8000-0000000000c1"
AGENT = {"agent_id": "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}

# Any text a database holds: every code point but surrogates, and NUL, which PostgreSQL's text
# cannot hold (the spec refuses it in every text field).
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too, which orjson cannot write
    | st.floats()  # NaN and infinities too, which JSON writes as null
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
MODEL_SETTINGS = st.none() | st.dictionaries(TEXT, JSON, max_size=4)
IDS = st.lists(TEXT, max_size=3)


def as_models(page: list[ConversationFields]) -> bytes:
    """The page as it was written before: each conversation a model, validated, or as stored
    when the model refuses it (storage/conversation_rows.py), serialized by pydantic."""
    models = []
    for fields in page:
        try:
            models.append(ConversationAsStored.model_validate(fields))
        except ValidationError:
            models.append(ConversationAsStored.model_construct(**fields))
    return MODEL_PAGE.dump_json(models)


@st.composite
def conversations(draw: st.DrawFn) -> ConversationFields:
    archived_at = draw(st.none() | TIMES)
    return {
        "id": f"conv-{uuid.uuid4()}",
        "agent_id": f"agent-{uuid.uuid4()}",
        "archived": archived_at is not None,
        "archived_at": archived_at,
        "context_window_limit": draw(st.none() | st.integers(-(2**31), 2**31 - 1)),  # int4
        "created_at": draw(TIMES),
        "created_by_id": draw(st.none() | TEXT),
        "description": draw(st.none() | TEXT),
        "in_context_message_ids": draw(IDS),
        "isolated_block_ids": draw(IDS),
        "last_message_at": draw(st.none() | TIMES),
        "last_updated_by_id": draw(st.none() | TEXT),
        "model": draw(st.none() | TEXT),
        "model_settings": draw(MODEL_SETTINGS),
        "summary": draw(st.none() | TEXT),
        "updated_at": draw(TIMES),
    }


@settings(max_examples=300, deadline=None)
@given(page=st.lists(conversations(), max_size=4))
def test_fields_are_written_as_pydantic_wrote_their_models(
    page: list[ConversationFields],
) -> None:
    assert fields_body(page) == as_models(page)
    for fields in page:
        assert b"[" + fields_body(fields) + b"]" == as_models([fields])


def test_an_integer_past_64_bits_in_model_settings_is_written_as_pydantic_writes_it() -> None:
    fields = {
        "id": "conv-00000000-0000-4000-8000-000000000001",
        "agent_id": "agent-00000000-0000-4000-8000-000000000001",
        "archived": False,
        "archived_at": None,
        "context_window_limit": None,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "created_by_id": None,
        "description": None,
        "in_context_message_ids": [],
        "isolated_block_ids": [],
        "last_message_at": None,
        "last_updated_by_id": None,
        "model": None,
        "model_settings": {"big": 2**70, "nan": float("nan")},
        "summary": None,
        "updated_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    body = fields_body([fields])
    assert b'"model_settings":{"big":1180591620717411303424,"nan":null}' in body
    assert body == as_models([fields])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stored=st.lists(conversations(), min_size=1, max_size=3))
def test_a_listed_page_and_a_get_are_written_as_the_models_of_the_same_rows(
    database_url: str, stored: list[ConversationFields]
) -> None:
    """Through each engine: what list_page and get_current read of stored rows, written by
    fields_body, against the models that get builds of the same rows (storage/conversation_rows.py's
    _versioned), serialized as every answer was."""
    organization = f"org-{uuid.uuid4()}"

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        store = store_for(database_url)
        await store.open()
        try:
            for fields in stored:
                await store.insert(new_conversation(organization, fields))
                changes = Changes(
                    {"last_message_at": fields["last_message_at"]},
                    archive=fields["archived"],
                    archived_at=fields["archived_at"],
                )
                await store.update(
                    organization,
                    fields["id"],
                    changes=changes,
                    updated_at=fields["updated_at"],
                    updated_by_id=USER,
                )
            listed = await store.list_page(Page(organization, 10, "asc", archive_status="all"))
            from_fields, from_models = [fields_body(listed)], list[bytes]()
            models = list[ConversationAsStored]()
            for fields in stored:
                current = await store.get_current(organization, fields["id"])
                versioned = await store.get(organization, fields["id"])
                assert current is not None and versioned is not None
                assert current.version == versioned.version
                from_fields.append(fields_body(current.fields))
                models.append(versioned.conversation)
                model = versioned.conversation
                from_models.append(model.__pydantic_serializer__.to_json(model))
            return from_fields, [MODEL_PAGE.dump_json(models), *from_models]
        finally:
            await store.close()

    from_fields, from_models = run_async(scenario())
    assert from_fields == from_models


def new_conversation(organization: str, fields: dict[str, Any]) -> NewConversation:
    return NewConversation(
        id=fields["id"],
        organization_id=organization,
        agent_id=fields["agent_id"],
        summary=fields["summary"],
        created_at=fields["created_at"],
        created_by_id=USER,
        description=fields["description"],
        model=fields["model"],
        context_window_limit=fields["context_window_limit"],
        model_settings=fields["model_settings"],
    )


class NoModels:
    def validate_python(self, *_args: object, **_kwargs: object) -> None:
        raise AssertionError("a read built a model")


def test_a_get_and_a_list_page_build_no_model_and_answer_as_before(
    app: TestClient, key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model per conversation cost a GET about what its body's JSON did, and a list page
    most of its time (bench/results.md, issue 23). Answers are validated against the spec."""
    created = app.post("/conversations/", params=AGENT, json={"summary": "é\x01"}, headers=key)
    # Every write answers its conversation as a model; from here on, none may be built.
    monkeypatch.setattr(conversation_rows, "_AS_STORED", NoModels())
    got = app.get(f"/conversations/{created.json()['id']}", headers=key)
    assert (got.status_code, got.content, got.headers["etag"]) == (
        200,
        created.content,
        created.headers["etag"],
    )
    listed = app.get("/conversations/", params={"limit": 50}, headers=key)
    assert (listed.status_code, listed.content) == (200, b"[" + created.content + b"]")


def test_the_tests_validate_a_list_answer_against_the_spec(
    app: TestClient, key: dict[str, str], sqlite_url: str
) -> None:
    """The app of the tests (tests/support.py's in_process, and the servers the end-to-end tests
    start) validates every answer against the spec, a list page's too, now that no model
    checks what a page holds: a row the spec's Conversation refuses, as one stored under
    earlier rules, is served as stored, and fails the tests."""
    app.post("/conversations/", params=AGENT, json={"summary": "s"}, headers=key)
    assert app.get("/conversations/", headers=key).status_code == 200
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as database:
        database.execute("UPDATE conversations SET summary = ?", ("s" * 10_001,))
    refused = app.get("/conversations/", headers=key)
    assert refused.status_code == 500
    assert "Response body does not conform to specification" in refused.json()["detail"]
