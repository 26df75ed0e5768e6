"""A key's rate limit is the database's, not a process's: across `serve --workers 2` and across
two replicas on one PostgreSQL a key gets its configured rate within ±10 %, not twice it, and a
restarted server finds the key's allowance as it was left (no second burst).

The replicas and the restarted server are servers in threads of this process: each app has a
limiter and a store of its own (what a process holds of a key's allowance is its app's, as in
`KeyRateLimiter`), so a new app starts from the database alone, as a new process does. The two
workers are a `serve --workers 2` process."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from server_impl.domain import rate_limits
from server_impl.domain.ports import KeyLimit
from tests.support import ServedInThread, bearer, mint_key_in_process, start_server

# Tens of seconds: run before the shorter modules (tests/conftest.py).
pytestmark = pytest.mark.long

RATE = KeyLimit(rate_per_s=20, burst=30)
SECONDS = 5.0
EXPECTED = RATE.burst + RATE.rate_per_s * SECONDS
"""What a key sending over its rate all along gets in SECONDS: its burst, then its rate."""
PACE_S = 0.02
"""Each client's pause between requests: 8 clients offer several times the rate, without
spinning on the shared machine."""
CLIENTS = 8


def limited_key(database_url: str, limit: KeyLimit) -> dict[str, str]:
    return bearer(mint_key_in_process(database_url, f"rate-{uuid.uuid4()}", "bot", limit))


def warm_up(urls: list[str], database_url: str) -> None:
    """Serves a first request on each connection of every worker, with a key of no limit of
    its own: a process's first requests are slow, and would otherwise shorten the window in
    which the measured key is served (the key would get less than its rate)."""
    headers = bearer(mint_key_in_process(database_url, f"warm-{uuid.uuid4()}", "bot"))
    for url in urls:
        for _ in range(20):
            answer = httpx.get(
                f"{url}/conversations/", headers={**headers, "Connection": "close"}, timeout=30
            )
            assert answer.status_code == 200


@dataclass
class Served:
    statuses: Counter[int] = field(default_factory=Counter)
    sent: list[float] = field(default_factory=list)
    """When each request was sent, by the wall clock the servers read too."""

    def ideal(self) -> int:
        """What one limiter in one process, asked at each request's sending, would serve: the
        offered load of a loaded machine comes in bursts and pauses, and an allowance refills
        to its burst only, so the rate alone does not say what a key gets."""
        tat, served = 0.0, 0
        for moment in sorted(self.sent):
            outcome = rate_limits.grant(RATE, tat, moment, 1)
            tat, served = outcome.tat, served + outcome.granted
        return served


def served_within(urls: list[str], headers: dict[str, str], seconds: float) -> Served:
    """What CLIENTS clients, spread over urls, got for seconds of requests."""
    served = Served()

    async def client(number: int, until: float) -> None:
        url = urls[number % len(urls)]
        # A connection per request, so that the kernel spreads them over a server's workers.
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            while time.monotonic() < until:
                sent = time.time()
                answer = await http.get("/conversations/", headers={"Connection": "close"})
                served.statuses[answer.status_code] += 1
                served.sent.append(sent)
                await asyncio.sleep(PACE_S)

    async def all_clients() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(client(number, until) for number in range(CLIENTS)))

    asyncio.run(all_clients())
    return served


def assert_rate_held(served: Served) -> None:
    assert set(served.statuses) == {200, 429}, served.statuses
    ideal = served.ideal()
    assert ideal <= EXPECTED, (ideal, EXPECTED)
    assert 0.9 * ideal <= served.statuses[200] <= 1.1 * ideal, (served.statuses, ideal)


def test_a_keys_rate_holds_within_ten_percent_across_two_workers(
    engine: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = new_database(engine)
    headers = limited_key(url, RATE)
    server = start_server(url, tmp_path / "server.log", CONVERSATIONS_WORKERS="2")
    try:
        warm_up([server.api_url], url)
        assert_rate_held(served_within([server.api_url], headers, SECONDS))
    finally:
        server.stop()


def test_a_keys_rate_holds_within_ten_percent_across_two_replicas_on_postgresql(
    postgres_url: str, launch_in_thread: Callable[[str], ServedInThread]
) -> None:
    headers = limited_key(postgres_url, RATE)
    replicas = [launch_in_thread(postgres_url) for _ in range(2)]
    warm_up([replica.api_url for replica in replicas], postgres_url)
    assert_rate_held(served_within([replica.api_url for replica in replicas], headers, SECONDS))


def test_a_restarted_server_gives_a_key_no_second_burst(
    engine: str,
    new_database: Callable[[str], str],
    launch_in_thread: Callable[[str], ServedInThread],
) -> None:
    url = new_database(engine)
    headers = limited_key(url, KeyLimit(rate_per_s=1 / 60, burst=3))
    server = launch_in_thread(url)
    with httpx.Client(base_url=server.api_url, headers=headers, timeout=30) as http:
        assert [http.get("/conversations/").status_code for _ in range(4)] == [200] * 3 + [429]
    server.stop()
    restarted = launch_in_thread(url)
    with httpx.Client(base_url=restarted.api_url, headers=headers, timeout=30) as http:
        refused = http.get("/conversations/")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
