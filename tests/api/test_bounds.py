"""What one request body and one conversation may hold, and so what a page of them weighs:
each bound stated in openapi.yaml, each breach a 422 naming the field, nothing changed."""

import re
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
import yaml
from starlette.testclient import TestClient

from server_impl.api.connexion_adaptations.validators import BODY_MAX_DEPTH
from server_impl.api.handlers import fields_body
from server_impl.domain import keys
from server_impl.domain.model_settings import (
    MODEL_SETTINGS_MAX_BYTES,
    MODEL_SETTINGS_MAX_DEPTH,
    ConversationAsStored,
)
from server_impl.domain.ports import NewConversation
from server_impl.storage import store_for
from tests.support import ROOT, run_async


# Each test's requests are refused, or write only with its own key, whose organization sees
# no other's conversations, and it counts only those: one app serves the module (module_app).
@pytest.fixture(scope="module")
def sqlite_url(module_sqlite_url: str) -> str:
    return module_sqlite_url


@pytest.fixture(scope="module")
def app(module_app: TestClient) -> TestClient:
    return module_app


AGENT = {"agent_id": "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}
JSON = {"content-type": "application/json"}


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return loaded


def nested(depth: int) -> bytes:
    """A body whose member x nests arrays until the body is depth levels deep."""
    return b'{"summary": "[[{{", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def refused(answer: Any, name: str) -> str:
    """The reason of a 422 that names name alone."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    (invalid,) = answer.json()["invalid_params"]
    assert invalid["name"] == name
    return str(invalid["reason"])


def count(app: TestClient, key: dict[str, str]) -> int:
    listed = app.get("/conversations/", params={"limit": 100}, headers=key)
    assert listed.status_code == 200, listed.text
    return len(listed.json())


@pytest.mark.parametrize("depth", [BODY_MAX_DEPTH + 1, 300, 1022, 1023, 5000])
def test_a_body_nested_past_the_depth_limit_is_one_422_naming_its_member_on_create_and_update(
    app: TestClient, key: dict[str, str], depth: int
) -> None:
    # 200 to 1022 levels were a 422 quoting a Python bytes repr, 1023 and more a 400.
    created = app.post("/conversations/", params=AGENT, headers=key)
    assert created.status_code == 200, created.text
    headers = {**key, **JSON}
    for answer in (
        app.post("/conversations/", params=AGENT, content=nested(depth), headers=headers),
        app.patch(f"/conversations/{created.json()['id']}", content=nested(depth), headers=headers),
    ):
        reason = refused(answer, "body.x")
        assert reason == (
            f"nests objects and arrays more than {BODY_MAX_DEPTH} levels deep (counting the"
            f" body): at most {BODY_MAX_DEPTH}"
        )
    assert count(app, key) == 1


def test_a_body_at_the_depth_limit_is_accepted_and_brackets_in_strings_do_not_count(
    app: TestClient, key: dict[str, str]
) -> None:
    answer = app.post(
        "/conversations/", params=AGENT, content=nested(BODY_MAX_DEPTH), headers={**key, **JSON}
    )
    assert answer.status_code == 200, answer.text
    brackets = b'{"summary": "' + b"[{" * 5000 + b'"}'
    answer = app.post("/conversations/", params=AGENT, content=brackets, headers={**key, **JSON})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("levels", "accepted"), [(31, True), (32, False)])
def test_objects_and_arrays_count_alike_toward_the_depth_limit(
    app: TestClient, key: dict[str, str], levels: int, accepted: bool
) -> None:
    # The body, then levels times an array holding an object: 1 + 2 × levels deep.
    body = b'{"x": ' + b'[{"a": ' * levels + b"1" + b"}]" * levels + b"}"
    answer = app.post("/conversations/", params=AGENT, content=body, headers={**key, **JSON})
    if accepted:
        assert answer.status_code == 200, answer.text
    else:
        refused(answer, "body.x")


def test_a_body_that_is_not_an_object_nested_too_deep_is_named_as_the_body(
    app: TestClient, key: dict[str, str]
) -> None:
    body = b"[" * 2000 + b"]" * 2000
    answer = app.post("/conversations/", params=AGENT, content=body, headers={**key, **JSON})
    refused(answer, "body")


def test_a_long_member_name_is_cut_in_the_name_of_what_nests_too_deep(
    app: TestClient, key: dict[str, str]
) -> None:
    body = b'{"' + b"k" * 100_000 + b'": ' + b"[" * 100 + b"]" * 100 + b"}"
    answer = app.post("/conversations/", params=AGENT, content=body, headers={**key, **JSON})
    refused(answer, "body." + "k" * 40 + "…")


def test_the_depth_limit_is_stated_in_the_spec() -> None:
    assert f"at most {BODY_MAX_DEPTH} levels deep" in spec()["info"]["description"]


def big_settings(size: int) -> dict[str, object]:
    return {"provider_type": "openai", "extra": {f"field{n}": "v" * 1000 for n in range(size)}}


def test_model_settings_of_a_megabyte_is_a_422_naming_it_and_stores_nothing(
    app: TestClient, key: dict[str, str]
) -> None:
    # 40 of these made one list answer 39 MB.
    settings = big_settings(1000)
    created = app.post("/conversations/", params=AGENT, json={}, headers=key)
    for answer in (
        app.post("/conversations/", params=AGENT, json={"model_settings": settings}, headers=key),
        app.patch(
            f"/conversations/{created.json()['id']}",
            json={"model_settings": settings},
            headers=key,
        ),
    ):
        assert f"at most {MODEL_SETTINGS_MAX_BYTES} bytes" in refused(answer, "body.model_settings")
        assert len(answer.content) < 2048
    assert count(app, key) == 1


def test_model_settings_nested_past_its_depth_is_a_422_naming_it(
    app: TestClient, key: dict[str, str]
) -> None:
    settings: dict[str, object] = {"provider_type": "openai"}
    inner = settings
    for _ in range(MODEL_SETTINGS_MAX_DEPTH):
        inner["x"] = {}
        inner = inner["x"]  # type: ignore[assignment]
    answer = app.post(
        "/conversations/", params=AGENT, json={"model_settings": settings}, headers=key
    )
    assert f"more than {MODEL_SETTINGS_MAX_DEPTH} levels deep" in refused(
        answer, "body.model_settings"
    )


def test_model_settings_stored_before_its_bounds_is_still_listed_and_retrieved(
    sqlite_url: str, app: TestClient, key: dict[str, str]
) -> None:
    settings = big_settings(1000)
    store = store_for(sqlite_url)

    async def insert_past_the_rules() -> str:
        await store.open()
        try:
            actor = await keys.actor_for(store, key["Authorization"].removeprefix("Bearer "))
            assert actor is not None
            new = NewConversation(
                id="conv-00000000-0000-4000-8000-000000000009",
                organization_id=actor.organization_id,
                agent_id=AGENT["agent_id"],
                summary=None,
                created_at=datetime.now(UTC),
                created_by_id=actor.user_id,
                model_settings=settings,
            )
            return (await store.insert(new)).conversation.id
        finally:
            await store.close()

    conversation_id = run_async(insert_past_the_rules())
    retrieved = app.get(f"/conversations/{conversation_id}", headers=key)
    assert retrieved.status_code == 200, retrieved.text
    assert retrieved.json()["model_settings"] == settings
    listed = app.get("/conversations/", params={"limit": 100}, headers=key)
    assert listed.status_code == 200
    assert settings in [conversation["model_settings"] for conversation in listed.json()]


def largest_conversation() -> ConversationAsStored:
    """A conversation holding all that the bounds allow, in the form that answers longest."""
    moment = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    user = "user-00000000-0000-4000-8000-000000000000"
    settings: dict[str, object] = {"provider_type": "openai", "x": ""}
    settings["x"] = "y" * (MODEL_SETTINGS_MAX_BYTES - len('{"provider_type":"openai","x":""}'))
    schemas = spec()["components"]["schemas"]
    text = "\x01" * schemas["Summary"]["maxLength"]  # six bytes each in JSON: \u0001
    assert schemas["Description"]["maxLength"] == schemas["Summary"]["maxLength"]
    return ConversationAsStored.model_construct(
        id="conv-00000000-0000-4000-8000-000000000000",
        agent_id="agent-00000000-0000-4000-8000-000000000000",
        archived=False,
        archived_at=moment,
        context_window_limit=schemas["ContextWindowLimit"]["maximum"],
        created_at=moment,
        created_by_id=user,
        description=text,
        in_context_message_ids=[],
        isolated_block_ids=[],
        last_message_at=moment,
        last_updated_by_id=user,
        # Visible ASCII: two bytes a character at most, as JSON escapes a quote.
        model="a/" + '"' * (schemas["ModelHandle"]["maxLength"] - 2),
        model_settings=settings,
        summary=text,
        updated_at=moment,
    )


def test_the_largest_page_weighs_what_the_list_answer_of_the_spec_states() -> None:
    page = spec()["paths"]["/conversations/"]["get"]["responses"]["200"]
    stated = re.search(r"a page of 100 takes at most ([\d,]+) bytes", page["description"])
    assert stated is not None, "the spec states no bound on a page"
    assert len(fields_body([largest_conversation().model_dump()] * 100)) == int(
        stated.group(1).replace(",", "")
    )
    assert page["content"]["application/json"]["schema"]["maxItems"] == 100


@pytest.mark.parametrize(
    "character",
    ["\u0085", "\u009b", "\u2028", "\u202e", "\u200b", "\U000e0001", "\U000f0000", "\u0378"],
    ids=lambda character: f"U+{ord(character):04X}",
)
def test_a_model_handle_holding_a_character_no_name_may_hold_is_a_422_naming_it(
    app: TestClient, key: dict[str, str], character: str
) -> None:
    body = {"model": f"openai/gpt{character}4o"}
    url = f"/conversations/{app.post('/conversations/', params=AGENT, headers=key).json()['id']}"
    refused(app.post("/conversations/", params=AGENT, json=body, headers=key), "body.model")
    refused(app.patch(url, json=body, headers=key), "body.model")
    assert app.get(url, headers=key).json()["model"] is None
    assert count(app, key) == 1


def refused_in_names(character: str) -> bool:
    try:
        keys.parse_name(f"a{character}b")
    except keys.InvalidName:
        return True
    return False


def test_the_model_handle_pattern_refuses_every_character_no_name_may_hold() -> None:
    # Checked as the server checks (jsonschema-rs) and as pydantic's generated models and
    # schemathesis read a pattern (Python's re agrees with both on ASCII classes, once its `$`
    # no longer lets a trailing newline through).
    schema = spec()["components"]["schemas"]["ModelHandle"]
    check = jsonschema_rs.Draft4Validator({"type": "string", "pattern": schema["pattern"]})
    pattern = re.compile(schema["pattern"])
    points = [p for p in range(0x110000) if not 0xD800 <= p <= 0xDFFF]
    refused_by_names = [chr(p) for p in points if refused_in_names(chr(p))]
    assert len(refused_by_names) > 900_000  # unassigned and private use, mostly
    let_through = [
        f"U+{ord(character):04X}"
        for character in refused_by_names
        if check.is_valid(f"openai/gpt{character}") or pattern.fullmatch(f"openai/gpt{character}")
    ]
    assert let_through == []
    assert all(check.is_valid(f"openai/{chr(p)}") for p in range(0x21, 0x7F))
