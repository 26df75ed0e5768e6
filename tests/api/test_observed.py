"""Each request once answered, in process: its access line (route and operationId, never the raw
path or the key), its metrics, and an unexpected error logged once with its request id."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from starlette.types import Message

from server_impl.api.middleware.observed import REFUSED
from server_impl.api.problems import HeadTooLarge, response
from server_impl.domain.errors import StorageUnavailable
from server_impl.observability import logs
from server_impl.storage import store_for
from server_impl.storage.sqlite import SqliteStore
from tests.support import AccessLines, in_process, mint_key_in_process

AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
MISSING = "conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b"


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics, by name and labels."""
    answer = client.get("http://testserver/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def requests(found: dict[Any, float], operation: str, status: int) -> float:
    key = ("conversations_requests_total", (("operation", operation), ("status", str(status))))
    return found.get(key, 0.0)


def test_the_access_line_names_route_operation_key_and_organization_never_the_key_or_path(
    app: TestClient, key: dict[str, str], access_lines: AccessLines
) -> None:
    body = {"summary": "a secret summary"}
    created = app.post("/conversations/", params={"agent_id": AGENT}, json=body, headers=key)
    conversation_id = created.json()["id"]
    app.patch(
        f"/conversations/{conversation_id}", json=body, headers={**key, "X-Request-Id": "r-1"}
    )
    create_line, update_line = access_lines()
    fields = update_line
    assert {name: fields[name] for name in ("method", "route", "operation_id", "status")} == {
        "method": "PATCH",
        "route": "/v1/conversations/{conversation_id}",
        "operation_id": "update_conversation",
        "status": 200,
    }
    assert fields["duration_ms"] > 0 and fields["client"] == "testclient"
    key_id = key["Authorization"].split("_")[1]
    assert fields["key_id"] == key_id and fields["organization_id"].startswith("org-")
    text = json.dumps(access_lines())
    assert conversation_id not in text and "secret" not in text
    assert key["Authorization"].split()[1] not in text
    assert create_line["operation_id"] == "create_conversation"


def test_metrics_count_requests_by_operation_and_status_and_time_them(
    app: TestClient, key: dict[str, str]
) -> None:
    before = samples(app)
    for _ in range(3):
        app.get(f"/conversations/{MISSING}", headers=key)
    app.post("/conversations/", params={"agent_id": AGENT}, headers=key)
    app.get("/nothing-here")
    after = samples(app)
    assert (
        requests(after, "retrieve_conversation", 404)
        - requests(before, "retrieve_conversation", 404)
        == 3
    )
    assert (
        requests(after, "create_conversation", 200) - requests(before, "create_conversation", 200)
        == 1
    )
    assert requests(after, "unmatched", 404) - requests(before, "unmatched", 404) == 1
    assert requests(after, "metrics", 200) == 1  # the first scrape
    count = (
        "conversations_request_duration_seconds_count",
        (("operation", "retrieve_conversation"),),
    )
    assert after[count] == 3
    assert after[("conversations_requests_in_flight", ())] == 1  # this scrape
    build = [name for name, labels in after if name == "conversations_build_info"]
    assert (
        build
        and after[("conversations_build_info", (("spec_version", "0.2.0"), ("version", "0.2.0")))]
        == 1
    )


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing"),
        (["Basic abc"], "malformed"),
        (["Bearer"], "malformed"),
        (["Bearer not-a-key"], "malformed"),
        (["Bearer lck_0000000000000000_secret"], "unknown"),
        (["Bearer a", "Bearer b"], "ambiguous"),
    ],
)
def test_authentication_failures_are_counted_by_reason(
    app: TestClient, authorization: list[str] | None, reason: str
) -> None:
    headers = [("authorization", value) for value in authorization or []]
    answer = app.get(f"/conversations/{MISSING}", headers=headers)
    assert answer.status_code in (400, 401)
    found = samples(app)
    failures = {
        dict(labels)["reason"]: value
        for (name, labels), value in found.items()
        if name == "conversations_authentication_failures_total"
    }
    assert failures == {reason: 1.0}


def test_a_wrong_secret_and_a_revoked_key_are_told_apart(
    app: TestClient, key: dict[str, str], sqlite_url: str
) -> None:
    wrong = key["Authorization"].rsplit("_", 1)[0] + "_wrong"
    assert app.get(f"/conversations/{MISSING}", headers={"Authorization": wrong}).status_code == 401
    found = samples(app)
    assert (
        found[("conversations_authentication_failures_total", (("reason", "wrong_secret"),))] == 1
    )


@pytest.fixture
def broken_store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app on a store whose read of a conversation for a GET fails: unavailable for one
    id, unexpectedly for another."""
    store = store_for(sqlite_url)
    assert isinstance(store, SqliteStore)
    real_get = store.get_current

    async def get(organization_id: str, conversation_id: str) -> Any:
        if conversation_id.endswith("0"):
            raise StorageUnavailable("the database is down")
        if conversation_id.endswith("1"):
            raise RuntimeError("a bug")
        return await real_get(organization_id, conversation_id)

    monkeypatch.setattr(store, "get_current", get)
    with in_process(store) as client:
        yield client


def test_a_503_for_the_database_is_counted(broken_store: TestClient, key: dict[str, str]) -> None:
    answer = broken_store.get(
        "/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a60", headers=key
    )
    assert answer.status_code == 503
    assert samples(broken_store)[("conversations_database_unavailable_total", ())] == 1


def test_an_unexpected_error_is_logged_once_with_its_request_id_and_traceback(
    broken_store: TestClient,
    key: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    access_lines: AccessLines,
) -> None:
    caplog.set_level(logging.INFO)
    answer = broken_store.get(
        "/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a61",
        headers={**key, "X-Request-Id": "bug-1"},
    )
    assert answer.status_code == 500 and answer.json()["request_id"] == "bug-1"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "a bug" in caplog.text
    assert [(line["request_id"], line["status"]) for line in access_lines()] == [("bug-1", 500)]


def test_the_postgresql_pool_is_measured_as_open_and_in_use(postgres_url: str) -> None:
    key = {"Authorization": f"Bearer {mint_key_in_process(postgres_url)}"}
    with in_process(store_for(postgres_url)) as client:
        assert client.get(f"/conversations/{MISSING}", headers=key).status_code == 404
        found = samples(client)
    pool = {
        dict(labels)["state"]: value
        for (name, labels), value in found.items()
        if name == "conversations_database_pool_connections"
    }
    assert pool["open"] >= 1 and pool["in_use"] == 0


def test_sqlite_has_no_pool_to_measure(app: TestClient) -> None:
    names = {name for name, _ in samples(app)}
    assert "conversations_database_pool_connections" not in names


def test_an_answer_the_http_server_gives_in_place_of_the_app_is_logged_and_counted_as_refused(
    app: TestClient, access_lines: AccessLines
) -> None:
    # What server_impl/ops/protocol/ does with a request it refuses: the scope carries its
    # answer, which runs in place of the app, inside the request id and the observation.
    before = samples(app)
    problem = response(HeadTooLarge("The request line and headers are longer than 8 bytes."))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "-",
        "scheme": "http",
        "path": "",
        "raw_path": b"",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"x-request-id", b"client-id-9")],
        "client": ("198.51.100.7", 5000),
        "server": ("127.0.0.1", 8283),
        "extensions": {REFUSED: problem},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def serve() -> None:
        await app.app(scope, receive, send)

    asyncio.run(serve())
    start, body = sent
    assert start["status"] == 431
    assert (b"x-request-id", b"client-id-9") in start["headers"]
    assert json.loads(body["body"])["request_id"] == "client-id-9"
    assert requests(samples(app), "refused", 431) - requests(before, "refused", 431) == 1
    (line,) = [line for line in access_lines() if line["operation_id"] == "refused"]
    assert line["status"] == 431


def test_the_app_writes_the_access_lines_still_waiting_when_its_lifespan_ends(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = io.BytesIO()
    monkeypatch.setattr(logs, "access", logs.AccessLog("json", written, flush_after_s=3600))
    with in_process(store_for(sqlite_url)) as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200
        assert written.getvalue() == b""
    assert [json.loads(one)["operation_id"] for one in written.getvalue().splitlines()] == [
        "check_liveness"
    ] * 3
