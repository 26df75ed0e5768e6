"""Idempotency keys live in the database: two replicas on one PostgreSQL honour them together,
and a replica killed with a request in flight blocks its key only for the claim's lease. Only
the replica killed is a process; the others are servers in threads of the test process."""

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.support import AGENT, RunningServer, ServedInThread, fresh_key, slow_down_inserts

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

REPLICAS = 2
RETRIES = 16
SLOW_S = 2.0
"""How long PostgreSQL takes to insert a conversation summarized "slow": the first request is
still in flight while its retries arrive."""
LEASE_S = 5.0
"""The claim's lease (--idempotency-lease-s) of the replicas whose claim lapses: a few seconds
past SLOW_S, so that the claim is seen holding after the kill, not the default 30 s."""


def test_racing_retries_through_two_replicas_create_one_conversation(
    postgres_url: str, launch_in_thread: Callable[..., ServedInThread]
) -> None:
    slow_down_inserts(postgres_url, "slow", SLOW_S)
    headers = {**fresh_key(postgres_url), "Idempotency-Key": f"replicas-{uuid.uuid4()}"}
    replicas = [launch_in_thread(postgres_url) for _ in range(REPLICAS)]
    params, body = {"agent_id": AGENT}, {"summary": "slow"}

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response], list[str]]:
        clients = [
            httpx.AsyncClient(base_url=replica.api_url, headers=headers, timeout=30)
            for replica in replicas
        ]
        racing = await asyncio.gather(
            *(
                clients[n % REPLICAS].post("/conversations/", params=params, json=body)
                for n in range(RETRIES)
            )
        )
        later = [
            await client.post("/conversations/", params=params, json=body) for client in clients
        ]
        different = await clients[1].post(
            "/conversations/", params=params, json={"summary": "other"}
        )
        assert different.status_code == 422, different.text
        page = await clients[0].get("/conversations/", params=params)
        for client in clients:
            await client.aclose()
        return list(racing), later, [conversation["id"] for conversation in page.json()]

    racing, later, listed = asyncio.run(scenario())
    statuses = sorted(answer.status_code for answer in racing)
    # All arrive while the first holds the key: one runs, every other is told to retry.
    assert statuses == [200] + [409] * (RETRIES - 1), statuses
    executed = next(answer for answer in racing if answer.status_code == 200)
    assert "idempotent-replayed" not in executed.headers
    for answer in racing:
        if answer.status_code == 409:
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.headers["content-type"] == "application/problem+json"
    for answer in later:
        assert answer.status_code == 200 and answer.headers["idempotent-replayed"] == "true"
        assert answer.content == executed.content
        assert answer.headers["etag"] == executed.headers["etag"]
    assert listed == [executed.json()["id"]]


def test_a_replica_killed_mid_create_blocks_its_key_only_until_the_lease_lapses(
    postgres_url: str,
    launch: Callable[..., RunningServer],
    launch_in_thread: Callable[..., ServedInThread],
) -> None:
    slow_down_inserts(postgres_url, "slow", SLOW_S)
    headers = {**fresh_key(postgres_url), "Idempotency-Key": f"killed-{uuid.uuid4()}"}
    doomed = launch(postgres_url, CONVERSATIONS_IDEMPOTENCY_LEASE_S=str(LEASE_S))
    survivor = launch_in_thread(postgres_url, idempotency_lease_s=LEASE_S)
    params, body = {"agent_id": AGENT}, {"summary": "slow"}

    async def kill_mid_create() -> None:
        async with httpx.AsyncClient(base_url=doomed.api_url, headers=headers) as client:
            request = asyncio.ensure_future(
                client.post("/conversations/", params=params, json=body, timeout=30)
            )
            await asyncio.sleep(SLOW_S / 2)  # claimed, and inserting
            os.kill(doomed.process.pid, signal.SIGKILL)
            try:
                await request
            except httpx.TransportError:
                return
            raise AssertionError("the killed replica answered")

    killed_at = time.monotonic()
    asyncio.run(kill_mid_create())
    doomed.process.wait()
    with httpx.Client(base_url=survivor.api_url, headers=headers, timeout=30) as client:
        statuses = []
        deadline = killed_at + LEASE_S + 15
        while time.monotonic() < deadline:
            answer = client.post("/conversations/", params=params, json=body)
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                break
            assert answer.status_code == 409, answer.text
            time.sleep(1)
        assert statuses[-1] == 200, statuses
        assert statuses.count(409) > 0, "the claim of the killed request did not hold"
        taken_over = answer
        assert "idempotent-replayed" not in taken_over.headers
        assert time.monotonic() - killed_at >= LEASE_S - SLOW_S
        page = client.get("/conversations/", params=params).json()
        assert [conversation["id"] for conversation in page] == [taken_over.json()["id"]]
