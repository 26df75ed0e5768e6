"""Each request body is parsed once, by its validator, and handed on to the handler."""

from typing import Any

import orjson
import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient

AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every JSON text parsed from here on, by orjson or by a pydantic model."""
    seen: list[bytes] = []
    loads = orjson.loads

    def counted_loads(raw: Any) -> Any:
        seen.append(bytes(raw))
        return loads(raw)

    validate_json = BaseModel.model_validate_json.__func__  # type: ignore[attr-defined]

    def counted_validate_json(cls: type[BaseModel], raw: Any, /, **kwargs: Any) -> Any:
        seen.append(raw if isinstance(raw, bytes) else raw.encode())
        return validate_json(cls, raw, **kwargs)

    monkeypatch.setattr(orjson, "loads", counted_loads)
    monkeypatch.setattr(BaseModel, "model_validate_json", classmethod(counted_validate_json))
    return seen


def test_a_create_an_idempotent_create_and_an_update_parse_their_body_once(
    app: TestClient, key: dict[str, str], parses: list[bytes]
) -> None:
    body = orjson.dumps({"summary": "once", "model_settings": {"provider_type": "openai"}})
    sent = {**key, "Content-Type": "application/json"}
    created = app.post("/conversations/", params={"agent_id": AGENT}, content=body, headers=sent)
    assert created.status_code == 200
    assert parses.count(body) == 1

    parses.clear()
    once = {**sent, "Idempotency-Key": "k-1"}
    first = app.post("/conversations/", params={"agent_id": AGENT}, content=body, headers=once)
    replayed = app.post("/conversations/", params={"agent_id": AGENT}, content=body, headers=once)
    assert first.status_code == replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == first.json()["id"]
    assert parses.count(body) == 2  # one for each of the two requests

    parses.clear()
    update = b'{"summary": "twice?"}'
    path = f"/conversations/{created.json()['id']}"
    updated = app.patch(path, content=update, headers=sent)
    assert updated.status_code == 200 and updated.json()["summary"] == "twice?"
    assert parses.count(update) == 1
