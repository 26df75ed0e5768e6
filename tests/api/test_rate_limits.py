"""A key over its rate limit, in process (server_impl/domain/rate_limits.py, checked in
security.py as a step of authentication), with the limiter's clock stopped: 429 with
Retry-After and the IETF draft's RateLimit-Policy and RateLimit, nothing read or changed,
counted by reason and logged; keys limited apart."""

import logging
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from server_impl.domain import rate_limits
from server_impl.domain.ports import KeyLimit
from server_impl.storage import store_for
from server_impl.storage.sqlite import SqliteStore
from tests.api.test_observed import samples
from tests.support import in_process, mint_key_in_process

AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
T0 = 1_767_225_600.0
SLOW = KeyLimit(rate_per_s=0.5, burst=2)
"""Two requests at once, then one every 2 s."""


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The limiters' clock from here on, stopped at T0 until a test moves it."""
    stopped = Clock()
    monkeypatch.setattr(rate_limits, "wall_clock", stopped)
    return stopped


@pytest.fixture
def app(sqlite_url: str, clock: Clock) -> Iterator[TestClient]:
    with in_process(store_for(sqlite_url)) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_over_its_rate_gets_429_with_when_to_retry_and_after_that_is_served(
    app: TestClient, sqlite_url: str, clock: Clock
) -> None:
    key = bearer(mint_key_in_process(sqlite_url, limit=SLOW))
    assert [app.get("/conversations/", headers=key).status_code for _ in range(2)] == [200, 200]
    refused = app.get("/conversations/", headers=key)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["ratelimit-policy"] == '"key";q=2;w=4'
    assert refused.headers["ratelimit"] == '"key";r=0;t=2'
    problem = refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    assert "2 at once, then 30/min" in problem["detail"]
    assert problem["request_id"] == refused.headers["x-request-id"]
    clock.now += 1.5
    assert app.get("/conversations/", headers=key).status_code == 429
    clock.now = T0 + 2
    assert app.get("/conversations/", headers=key).status_code == 200


def test_a_refused_create_creates_nothing(app: TestClient, sqlite_url: str, clock: Clock) -> None:
    key = bearer(mint_key_in_process(sqlite_url, limit=KeyLimit(rate_per_s=0.5, burst=1)))
    assert app.get("/conversations/", headers=key).json() == []
    refused = app.post("/conversations/", params={"agent_id": AGENT}, headers=key, json={})
    assert refused.status_code == 429
    clock.now += 2
    assert app.get("/conversations/", headers=key).json() == []


def test_keys_of_one_organization_and_of_two_are_limited_apart(
    app: TestClient, sqlite_url: str
) -> None:
    first = bearer(mint_key_in_process(sqlite_url, "acme", "alice", limit=SLOW))
    second = bearer(mint_key_in_process(sqlite_url, "acme", "alice", limit=SLOW))
    other = bearer(mint_key_in_process(sqlite_url, "globex", "bob", limit=SLOW))
    statuses = {
        name: [app.get("/conversations/", headers=key).status_code for _ in range(3)]
        for name, key in (("first", first), ("second", second), ("other", other))
    }
    assert statuses == {name: [200, 200, 429] for name in ("first", "second", "other")}


def test_the_servers_default_limits_keys_without_their_own(sqlite_url: str, clock: Clock) -> None:
    key = bearer(mint_key_in_process(sqlite_url))
    own = bearer(mint_key_in_process(sqlite_url, limit=KeyLimit(rate_per_s=1, burst=5)))
    with in_process(store_for(sqlite_url), key_rate="60/min", key_burst=3) as app:
        assert [app.get("/conversations/", headers=key).status_code for _ in range(4)] == [
            *[200] * 3,
            429,
        ]
        assert [app.get("/conversations/", headers=own).status_code for _ in range(6)] == [
            *[200] * 5,
            429,
        ]


def test_with_the_default_off_only_keys_with_their_own_limit_are_limited(
    sqlite_url: str, clock: Clock
) -> None:
    key = bearer(mint_key_in_process(sqlite_url))
    with in_process(store_for(sqlite_url), key_rate="off") as app:
        assert {app.get("/conversations/", headers=key).status_code for _ in range(50)} == {200}


def test_a_refusal_is_counted_by_reason_never_by_key_and_logged(
    app: TestClient, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = mint_key_in_process(sqlite_url, limit=KeyLimit(rate_per_s=1, burst=1))
    key_id = key.split("_")[1]
    with caplog.at_level(logging.INFO, logger="conversations.limits"):
        assert app.get("/conversations/", headers=bearer(key)).status_code == 200
        assert app.get("/conversations/", headers=bearer(key)).status_code == 429
    found = samples(app)
    assert found[("conversations_requests_limited_total", (("reason", "key_rate"),))] == 1
    assert not any(key_id in str(labels) for _name, labels in found)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "conversations.limits"]
    assert key_id in line and "retry after 1 s" in line


def test_a_key_first_seen_while_the_database_is_read_only_still_reads(
    sqlite_url: str, clock: Clock
) -> None:
    store = SqliteStore(sqlite_url.removeprefix("sqlite:///"))
    key = bearer(mint_key_in_process(sqlite_url, limit=KeyLimit(rate_per_s=1, burst=2)))
    with in_process(store) as app:
        store.db.execute("PRAGMA query_only = ON")  # as a file system remounted read-only
        statuses = [app.get("/conversations/", headers=key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_request_within_its_processs_lease_is_served_without_the_limiters_check(
    sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a request that needs a lease awaits check(); the others spend the lease at once
    (KeyRateLimiter.spent: no coroutine a request)."""
    checked: list[str] = []
    check = rate_limits.KeyRateLimiter.check

    async def counted(
        self: rate_limits.KeyRateLimiter, key_id: str, own: KeyLimit | None
    ) -> rate_limits.Refusal | None:
        checked.append(key_id)
        return await check(self, key_id, own)

    monkeypatch.setattr(rate_limits.KeyRateLimiter, "check", counted)
    # Leases of 10 (a tenth of a second of the rate).
    key = bearer(mint_key_in_process(sqlite_url, limit=KeyLimit(rate_per_s=100, burst=100)))
    with in_process(store_for(sqlite_url)) as app:
        statuses = [app.get("/conversations/", headers=key).status_code for _ in range(25)]
    assert statuses == [200] * 25
    assert len(checked) == 3  # the 1st, 11th and 21st request
