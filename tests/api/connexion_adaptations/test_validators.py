"""The compiled schema checks that stand in for connexion's per-request validators."""

import copy
import functools
import logging
from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator
from connexion.spec import Specification
from httpx import Response
from jsonschema.exceptions import best_match
from starlette.testclient import TestClient

from server_impl.api.app import SPEC_PATH
from server_impl.api.connexion_adaptations.validators import CompiledSchema

SUMMARY = {
    "type": "object",
    "properties": {"summary": {"type": "string", "nullable": True, "maxLength": 3}},
}
CONVERSATION_ID = {"type": "string", "pattern": "^conv-[0-9a-f]{4}$"}


# Each test's requests are refused, or write only with its own key, whose organization sees
# no other's conversations: one app serves the module (module_app).
@pytest.fixture(scope="module")
def sqlite_url(module_sqlite_url: str) -> str:
    return module_sqlite_url


@pytest.fixture(scope="module")
def app(module_app: TestClient) -> TestClient:
    return module_app


def test_nullable_fields_take_null_and_their_type_but_nothing_else() -> None:
    check = CompiledSchema(SUMMARY, Draft4RequestValidator)
    assert check.first_error({"summary": None}) is None
    assert check.first_error({"summary": "abc"}) is None
    assert check.first_error({"summary": "abcd"}) == (
        ["summary"],
        '"abcd" is too long: at most 3 characters',
    )
    assert check.first_error({"summary": 5}) == (["summary"], "must be a string or null, not 5")


def test_a_trailing_newline_does_not_slip_past_a_dollar_anchor() -> None:
    check = CompiledSchema(CONVERSATION_ID, Draft4RequestValidator)
    assert check.first_error("conv-12ab") is None
    assert check.first_error("conv-12ab\n") is not None


def test_numbers_beyond_64_bits_are_judged_by_jsonschema() -> None:
    check = CompiledSchema({"type": "integer", "maximum": 100}, Draft4RequestValidator)
    assert check.first_error(10**30) is not None
    assert check.first_error(7) is None


@functools.cache
def resolved_spec() -> Specification:
    """openapi.yaml as connexion reads it, loaded once: parsing it took longer than a test."""
    return Specification.load(SPEC_PATH)


def update_schema() -> dict[str, Any]:
    """ConversationUpdate as connexion hands it over: every $ref resolved (a copy, each test's)."""
    schema: dict[str, Any] = copy.deepcopy(
        resolved_spec()["components"]["schemas"]["ConversationUpdate"]
    )
    return schema


PROVIDERS = ", ".join(
    f'"{name}"'
    for name in [
        "openai", "sglang", "anthropic", "google_ai", "google_vertex", "azure", "xai", "moonshot",
        "zai", "moonshot_coding", "groq", "deepseek", "together", "bedrock", "baseten",
        "openrouter", "chatgpt_oauth",
    ]
)  # fmt: skip


def test_jsonschema_alone_names_a_failed_union_as_a_whole_which_says_nothing() -> None:
    # Why CompiledSchema explains unions itself: best_match weighs the errors of all 17 members.
    validator = Draft4RequestValidator(update_schema())
    body = {"model_settings": {"provider_type": "anthropic", "temperature": "hot"}}
    error = best_match(validator.iter_errors(body))
    assert error is not None and list(error.absolute_path) == ["model_settings"]
    assert "is not valid under any of the given schemas" in error.message


@pytest.mark.parametrize(
    ("settings", "where", "reason"),
    [
        (
            {"provider_type": "anthropic", "temperature": "hot"},
            ["temperature"],
            'must be a number, not "hot"',
        ),
        (
            {"provider_type": "openai", "temperature": 2.5},
            ["temperature"],
            "must be at most 2, not 2.5",
        ),
        (
            {"provider_type": "google_ai", "thinking_config": {"thinking_budget": 1.5}},
            ["thinking_config", "thinking_budget"],
            "must be an integer, not 1.5",
        ),
        (
            {"provider_type": "openai", "response_format": {"type": "xml"}},
            ["response_format", "type"],
            'must be one of "text", "json_schema", "json_object", not "xml"',
        ),
        (
            {"provider_type": "openai", "response_format": {"type": "json_schema"}},
            ["response_format"],
            'must have the member "json_schema"',
        ),
        ({"provider_type": "nope"}, ["provider_type"], f'must be one of {PROVIDERS}, not "nope"'),
        ({"provider_type": 5}, ["provider_type"], f"must be one of {PROVIDERS}, not 5"),
        ({"temperature": 1}, [], 'must have the member "provider_type"'),
        ("openai", [], 'must be an object, not "openai"'),
    ],
)
def test_a_value_failing_a_union_is_explained_by_the_member_it_names(
    settings: object, where: list[str], reason: str
) -> None:
    check = CompiledSchema(update_schema(), Draft4RequestValidator)
    assert check.first_error({"model_settings": settings}) == (["model_settings", *where], reason)


def test_a_union_without_a_discriminator_or_one_non_null_member_is_left_to_jsonschema() -> None:
    check = CompiledSchema(
        {"properties": {"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}},
        Draft4RequestValidator,
    )
    assert check.first_error({"x": 1.5}) == (
        ["x"],
        "1.5 has none of the forms openapi.yaml allows for it",
    )


@pytest.mark.parametrize(
    "settings",
    [
        None,
        {"provider_type": "openai", "response_format": None, "unknown": {"kept": [1]}},
        {"provider_type": "anthropic", "effort": None, "verbosity": "low"},
        {"provider_type": "sglang", "tool_call_parser": None},
    ],
)
def test_null_and_nullable_members_and_unknown_fields_pass(settings: object) -> None:
    check = CompiledSchema(update_schema(), Draft4RequestValidator)
    assert check.first_error({"model_settings": settings}) is None


MAX_SUMMARY = 10_000
"""maxLength of Summary in openapi.yaml."""
AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
LONG_VALUE = "x" * 1_000_000


def summary_over_the_limit_answers(app: TestClient, key: dict[str, str]) -> dict[str, Response]:
    """The answers to a create and an update whose summary is a megabyte long."""
    long = {"summary": LONG_VALUE}
    created = app.post("/conversations/", params={"agent_id": AGENT}, headers=key)
    assert created.status_code == 200, created.text
    return {
        "create": app.post("/conversations/", params={"agent_id": AGENT}, json=long, headers=key),
        "update": app.patch(f"/conversations/{created.json()['id']}", json=long, headers=key),
    }


def test_a_value_over_its_length_limit_is_a_short_422_naming_it_and_stating_the_limit(
    app: TestClient, key: dict[str, str]
) -> None:
    # The whole value used to be quoted twice: a 1 MB summary made a 2 MB answer.
    for operation, answer in summary_over_the_limit_answers(app, key).items():
        assert answer.status_code == 422, operation
        assert len(answer.content) < 2048, f"{operation}: {len(answer.content)} bytes"
        (invalid,) = answer.json()["invalid_params"]
        assert invalid["name"] == "body.summary", operation
        assert f"at most {MAX_SUMMARY} characters" in invalid["reason"], operation
        assert f"at most {MAX_SUMMARY} characters" in answer.json()["detail"], operation


def test_a_value_over_its_length_limit_is_not_logged(
    app: TestClient, key: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    summary_over_the_limit_answers(app, key)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert LONG_VALUE[:100] not in caplog.text
    assert max(len(record.getMessage()) for record in caplog.records) < 1024


@pytest.mark.parametrize(
    "value",
    [
        "x" * 100_000,
        "\U0001f600" * 250_000,
        [["y" * 100] * 100] * 50,
        {f"key{n}": "z" * 1000 for n in range(1000)},
    ],
    ids=["ascii", "emoji", "nested lists", "object"],
)
def test_a_reason_quotes_at_most_a_short_prefix_of_the_value(value: object) -> None:
    check = CompiledSchema({"type": "string", "maxLength": 3}, Draft4RequestValidator)
    error = check.first_error(value)
    assert error is not None
    assert len(error[1]) < 512, error[1]


@pytest.mark.parametrize(
    "fields",
    [["identity", "gzip"], ["gzip", "identity"], ["", "br"]],
    ids=["identity-then-gzip", "gzip-then-identity", "empty-then-br"],
)
def test_every_content_encoding_field_counts_not_only_the_first(
    app: TestClient, key: dict[str, str], fields: list[str]
) -> None:
    agent = {"agent_id": "agent-00000000-0000-4000-8000-00000000ce01"}
    headers = [
        *key.items(),
        ("content-type", "application/json"),
        *(("content-encoding", coding) for coding in fields),
    ]
    answer = app.post("/conversations/", params=agent, content=b"{}", headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["accept-encoding"] == "identity"
    assert app.get("/conversations/", params=agent, headers=key).json() == [], "a 415 made one"
