"""The checks of tests/contract/hooks.py, on real schemathesis cases and real answers: the
variant of positive_data_acceptance forgives a create's 422 only for a reused Idempotency-Key,
and a list's only for a made-up cursor."""

import uuid
from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.contract.hooks import refused_for_reused_key, refused_made_up_cursor
from tests.support import ROOT, Keys, Served, bearer


@pytest.fixture(scope="module")
def schema(server: Served) -> OpenApiSchema:
    schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
    schema.config.update(base_url=server.api_url)
    return schema


def create(schema: OpenApiSchema, keys: Keys, agent_id: str, body: Any, key: str) -> Any:
    case = schema.find_operation_by_id("create_conversation").Case(
        query={"agent_id": agent_id},
        headers={**bearer(keys.alice), "Idempotency-Key": key},
        body=body,
        media_type="application/json",
    )
    return case, case.call()


def test_a_key_reused_for_another_create_is_forgiven(
    schema: OpenApiSchema, keys: Keys, agent_id: str
) -> None:
    key = str(uuid.uuid4())
    first_case, first = create(schema, keys, agent_id, {"summary": "one"}, key)
    case, response = create(schema, keys, agent_id, {"summary": "two"}, key)
    assert (first.status_code, response.status_code) == (200, 422)
    assert not refused_for_reused_key(first_case, first)
    assert refused_for_reused_key(case, response)


def test_any_other_422_of_a_create_is_not(schema: OpenApiSchema, keys: Keys, agent_id: str) -> None:
    case, response = create(schema, keys, agent_id, {"summary": 5}, str(uuid.uuid4()))
    assert response.status_code == 422
    assert not refused_for_reused_key(case, response)


def test_a_422_of_another_operation_is_not(schema: OpenApiSchema, keys: Keys) -> None:
    case = schema.find_operation_by_id("update_conversation").Case(
        path_parameters={"conversation_id": f"conv-{uuid.uuid4()}"},
        headers=bearer(keys.alice),
        body={"summary": 5},
        media_type="application/json",
    )
    response = case.call()
    assert response.status_code == 422
    assert not refused_for_reused_key(case, response)


def listed(schema: OpenApiSchema, keys: Keys, **query: Any) -> tuple[Any, Any]:
    case = schema.find_operation_by_id("list_conversations").Case(
        query=query, headers=bearer(keys.alice)
    )
    return case, case.call()


def test_a_made_up_cursor_is_forgiven_and_nothing_else_of_a_list(
    schema: OpenApiSchema, keys: Keys, agent_id: str
) -> None:
    made_up = "WzEsImNyZWF0ZWRfYXQiLCJkZXNjIiwiY29udi0xIl0." + "A" * 22
    case, response = listed(schema, keys, after=made_up)
    assert response.status_code == 422
    assert refused_made_up_cursor(case, response)
    for query in ({"after": made_up, "limit": 0}, {"limit": 0}):
        case, response = listed(schema, keys, **query)
        assert response.status_code == 422
        assert not refused_made_up_cursor(case, response), query
    case, response = listed(schema, keys, after=f"conv-{uuid.uuid4()}")
    assert response.status_code == 404
    assert not refused_made_up_cursor(case, response)
    assert not refused_for_reused_key(case, response)
