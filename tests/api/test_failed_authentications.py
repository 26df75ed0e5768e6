"""The limit on requests answered 401 per client address: a budget per address, refilled over
time (with a fake clock); past it, the address's requests are answered 429 with Retry-After
before any key is read, changing nothing and counted by reason, while other addresses and the
health probes are served."""

import logging
from typing import Any

import pytest

from server_impl.api.middleware.failed_authentications import FailureBudget, client_of
from server_impl.storage import store_for
from tests.api.test_organization_in_flight import limited
from tests.support import AGENT, AccessLines, bearer, in_process, mint_key_in_process

PROXY = "10.0.0.1"
FLOODER = {"X-Forwarded-For": "203.0.113.9"}
NEIGHBOUR = {"X-Forwarded-For": "198.51.100.7"}
BAD_KEY = {"Authorization": "Bearer lck_0000000000000000_secret"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_allows_a_burst_of_failures_then_one_per_interval() -> None:
    clock = FakeClock()
    budget = FailureBudget(3, clock=clock)  # 3 a minute: one back every 20 s
    assert budget.wait_s("a") == 0
    assert [budget.failed("a") for _ in range(3)] == [False, False, True]
    assert budget.wait_s("a") == pytest.approx(20)
    assert budget.wait_s("b") == 0, "another address keeps its own budget"
    clock.now += 19.5
    assert budget.wait_s("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert budget.wait_s("a") == 0
    assert budget.failed("a") is True
    assert budget.wait_s("a") == pytest.approx(20)
    clock.now += 60
    assert budget.wait_s("a") == 0
    assert [budget.failed("a") for _ in range(3)] == [False, False, True], "whole again"


def test_a_budget_remembers_at_most_its_tracked_addresses_and_forgets_whole_ones() -> None:
    clock = FakeClock()
    budget = FailureBudget(2, tracked=3, clock=clock)
    for address in "abcd":
        budget.failed(address)
        budget.failed(address)
    assert len(budget) == 3
    assert budget.wait_s("a") == 0, "the address that failed least recently is forgotten"
    assert budget.wait_s("d") > 0
    clock.now += 60
    # b goes for room; c, the oldest left, has its bucket whole again: forgotten too.
    budget.failed("e")
    assert len(budget) == 2
    assert budget.wait_s("d") == 0


@pytest.mark.parametrize(
    ("host", "client"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("testclient", "testclient"),
    ],
)
def test_a_failure_is_counted_against_an_ipv4_address_or_an_ipv6_64(host: str, client: str) -> None:
    assert client_of(host) == client


def proxied(sqlite_url: str, **settings: Any) -> Any:
    """The app behind a trusted proxy, whose X-Forwarded-For names each request's client."""
    return in_process(store_for(sqlite_url), peer=(PROXY, 40000), trusted_proxies=PROXY, **settings)


def test_past_its_failures_an_address_is_answered_429_before_its_key_is_read(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, access_lines: AccessLines
) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    store = store_for(sqlite_url)
    looked_up: list[str] = []
    api_key_owner = store.api_key_owner

    async def counted_key_owner(key_id: str) -> Any:
        looked_up.append(key_id)
        return await api_key_owner(key_id)

    store.api_key_owner = counted_key_owner  # type: ignore[method-assign]
    with (
        caplog.at_level(logging.WARNING, logger="conversations.limits"),
        in_process(
            store, peer=(PROXY, 40000), trusted_proxies=PROXY, failed_authentications_per_minute=2
        ) as app,
    ):
        created = app.post(
            "/conversations/", params={"agent_id": AGENT}, json={}, headers={**alice, **NEIGHBOUR}
        )
        item = f"/conversations/{created.json()['id']}"
        assert app.get(item, headers={**BAD_KEY, **FLOODER}).status_code == 401
        assert app.get(item, headers=FLOODER).status_code == 401  # no key at all
        looked_up.clear()
        for headers in ({**BAD_KEY, **FLOODER}, {**alice, **FLOODER}):
            refused = app.patch(item, json={"summary": "refused"}, headers=headers)
            assert refused.status_code == 429, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "30"  # 2 a minute: one back in 30 s
            assert refused.json()["request_id"] == refused.headers["x-request-id"]
        assert looked_up == [], "no key was read for a refused request"
        assert app.get("/health", headers=FLOODER).status_code == 200
        served = app.get(item, headers={**alice, **NEIGHBOUR})
        assert served.status_code == 200
        assert served.json()["summary"] is None, "the refused update changed nothing"
        assert limited(app) == {"unauthenticated": 2.0}
    warnings = [r.getMessage() for r in caplog.records if r.name == "conversations.limits"]
    assert len(warnings) == 1 and "203.0.113.9" in warnings[0], warnings
    refusals = [line for line in access_lines() if line["status"] == 429]
    assert [(line["method"], line["client"]) for line in refusals] == [("PATCH", "203.0.113.9")] * 2


def test_requests_answered_otherwise_than_401_spend_no_budget(sqlite_url: str) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    with proxied(sqlite_url, failed_authentications_per_minute=1) as app:
        missing = "/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b"
        for _ in range(3):
            assert app.get(missing, headers={**alice, **FLOODER}).status_code == 404
            assert app.get("/health", headers=FLOODER).status_code == 200
        assert app.get(missing, headers=FLOODER).status_code == 401
        assert app.get(missing, headers={**alice, **FLOODER}).status_code == 429
        assert app.get(missing, headers={**alice, **NEIGHBOUR}).status_code == 404


def test_with_the_limit_off_an_address_is_never_refused_for_its_failures(sqlite_url: str) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    with proxied(sqlite_url, failed_authentications_per_minute="off") as app:
        missing = "/conversations/conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b"
        # Past the least budget the limit could be given (1), many times over.
        answers = {app.get(missing, headers={**BAD_KEY, **FLOODER}).status_code for _ in range(20)}
        assert answers == {401}
        assert app.get(missing, headers={**alice, **FLOODER}).status_code == 404
        assert limited(app) == {}
