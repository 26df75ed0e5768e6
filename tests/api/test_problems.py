"""Domain errors become problems in one place: every kind has its status."""

import inspect
import json
import logging
import sqlite3
from pathlib import Path
from unittest.mock import ANY

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from server_impl._generated.models import ConversationUpdate
from server_impl.api import handlers
from server_impl.api.connexion_adaptations.validators import PARSED_BODY
from server_impl.api.problems import STATUS_OF, InvalidParams, error_handlers
from server_impl.domain import conversation_errors, conversations, errors
from server_impl.domain.errors import DomainError, InvalidValue, StorageUnavailable
from server_impl.storage.sqlite import SqliteStore
from server_impl.storage.tuning import Tuning
from tests.support import in_process, mint_key_in_process

DOMAIN_ERRORS = [
    kind
    for module in (errors, conversations, conversation_errors)
    for _, kind in inspect.getmembers(module, inspect.isclass)
    if issubclass(kind, DomainError) and kind is not DomainError
]


@pytest.mark.parametrize("kind", DOMAIN_ERRORS, ids=lambda kind: kind.__name__)
def test_every_domain_error_has_an_answer(kind: type[DomainError]) -> None:
    assert any(base in STATUS_OF for base in kind.__mro__), f"{kind.__name__} would be a 500"


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (errors.NotFound("gone"), 404, None),
        (errors.PreconditionFailed("stale"), 412, None),
        (errors.Conflict("busy"), 409, "1"),
        (StorageUnavailable("down"), 503, "1"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_kind_of_domain_error_is_its_documented_status(
    error: DomainError, status: int, retry_after: str | None
) -> None:
    answer = error_handlers._domain_problem(error)
    assert answer.status_code == status
    assert (answer.headers or {}).get("Retry-After") == retry_after
    assert json.loads(answer.body)["status"] == status


def test_an_invalid_value_is_a_422_naming_it_as_connexions_own_are() -> None:
    answer = error_handlers._domain_problem(InvalidValue("body.last_message_at", "out of range"))
    assert answer.status_code == 422
    assert json.loads(answer.body) == {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "body.last_message_at: out of range",
        "invalid_params": [{"name": "body.last_message_at", "reason": "out of range"}],
    }


class _UnavailableStore(SqliteStore):
    async def get_current(self, organization_id: str, conversation_id: str) -> None:
        raise StorageUnavailable("down for the test")


def test_storage_unavailable_is_a_503_with_retry_after(sqlite_url: str) -> None:
    key = {"Authorization": f"Bearer {mint_key_in_process(sqlite_url)}"}
    store = _UnavailableStore(sqlite_url.removeprefix("sqlite:///"))
    with in_process(store) as app:
        answer = app.get("/conversations/conv-00000000-0000-4000-8000-000000000000", headers=key)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "The database cannot be reached right now; retry later."


def test_a_locked_sqlite_database_is_a_503_and_the_write_is_not_made(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Another process holding SQLite's write lock past the busy timeout: "database is locked".
    key = {"Authorization": f"Bearer {mint_key_in_process(sqlite_url)}"}
    path = sqlite_url.removeprefix("sqlite:///")
    with in_process(SqliteStore(path, Tuning(sqlite_busy_timeout_s=0.05))) as app:
        created = app.post(
            "/conversations/",
            params={"agent_id": "agent-00000000-0000-4000-8000-000000000001"},
            json={"summary": "before"},
            headers=key,
        ).json()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            answer = app.patch(
                f"/conversations/{created['id']}", json={"summary": "after"}, headers=key
            )
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        kept = app.get(f"/conversations/{created['id']}", headers=key).json()
    assert kept["summary"] == "before"


def test_an_error_the_edge_did_not_expect_is_a_500_problem_without_details(
    app: TestClient, key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(SqliteStore, "list_page", broken)
    answer = app.get("/conversations/", headers=key)
    assert answer.status_code == 500
    assert "secret internals" not in answer.text


def test_an_unknown_path_is_quoted_short_in_the_404_and_the_log(
    app: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The whole path was quoted in the answer and in connexion's log line: 60 KB each.
    caplog.set_level(logging.DEBUG)
    long = "p" * 60_000
    answer = app.get(f"/{long}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert len(answer.content) < 512
    assert answer.json()["detail"].startswith("Nothing is served at '/v1/ppp")
    # httpx, the test's client, logs the URL it requested.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert any("PathNotFound" in message for message in logged)
    assert not any(long[:100] in message for message in logged)


def test_a_body_connexion_passed_but_the_model_refuses_is_a_422_naming_the_field() -> None:
    # No such body is known (connexion's date-time check refuses what pydantic does); the
    # handlers' guard is pinned without connexion, so a future disagreement is a 422, not a 500.
    sent = {"last_message_at": "2026-02-30T00:00:00Z"}
    request = Request({"type": "http", "method": "PATCH", "headers": [], "extensions": {}})
    request.scope["extensions"][PARSED_BODY] = sent  # as the body validator hands it on
    with pytest.raises(InvalidParams) as refused:
        handlers._body(request, ConversationUpdate)
    assert refused.value.status == 422
    assert refused.value.ext == {
        "invalid_params": [{"name": "body.last_message_at", "reason": ANY}]
    }
    assert '"2026-02-30T00:00:00Z" is not a time this server can hold' in str(refused.value.detail)
