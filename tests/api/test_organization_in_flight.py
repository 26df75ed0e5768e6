"""The cap on an organization's requests in flight in one process: past it, 429 with
Retry-After, changing nothing and counted by reason, while other organizations are served."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from server_impl.storage import store_for
from tests.api.test_observed import samples
from tests.support import AGENT, AccessLines, bearer, in_process, mint_key_in_process

LIMITED = "conversations_requests_limited_total"


def limited(client: TestClient) -> dict[str, float]:
    return {
        dict(labels)["reason"]: value
        for (name, labels), value in samples(client).items()
        if name == LIMITED
    }


def on_the_app(app: TestClient, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """Runs scenario with an httpx client on the app, on the loop where its store was opened
    (httpx's ASGI transport reads a request's body as the app asks for it, so a body can be
    held back to keep a request in flight)."""

    async def run() -> Any:
        transport = httpx.ASGITransport(app=app.app, client=("192.0.2.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=str(app.base_url)) as client:
            return await scenario(client)

    assert app.portal is not None
    return app.portal.call(run)


async def held_body(release: asyncio.Event, body: bytes) -> AsyncIterator[bytes]:
    await release.wait()
    yield body


def updates_in_flight(
    client: httpx.AsyncClient, item: str, key: dict[str, str], release: asyncio.Event, count: int
) -> list["asyncio.Task[httpx.Response]"]:
    """COUNT empty updates of ITEM in flight, their bodies held back until RELEASE is set."""
    headers = {**key, "Content-Type": "application/json"}
    return [
        asyncio.create_task(client.patch(item, headers=headers, content=held_body(release, b"{}")))
        for _ in range(count)
    ]


def test_past_its_cap_an_organization_is_answered_429_while_another_is_served(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, access_lines: AccessLines
) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    carol = bearer(mint_key_in_process(sqlite_url, "globex", "carol"))
    with in_process(store_for(sqlite_url), in_flight_per_organization=2) as app:
        created = app.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
        item = f"/conversations/{created.json()['id']}"
        theirs = app.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=carol)

        async def scenario(client: httpx.AsyncClient) -> None:
            release = asyncio.Event()
            held = updates_in_flight(client, item, alice, release, 2)  # acme's two
            await asyncio.sleep(0.2)
            refused = await client.patch(item, headers=alice, json={"summary": "refused"})
            assert refused.status_code == 429, refused.text
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["status"] == 429
            assert refused.json()["request_id"] == refused.headers["x-request-id"]
            assert (await client.get(item, headers=alice)).status_code == 429
            # Another organization is served meanwhile.
            other = await client.get(f"/conversations/{theirs.json()['id']}", headers=carol)
            assert other.status_code == 200
            release.set()
            assert [answer.status_code for answer in await asyncio.gather(*held)] == [200, 200]
            # Once they are answered, acme is served again, and nothing took the refused update.
            after = await client.get(item, headers=alice)
            assert after.status_code == 200
            assert after.json()["summary"] is None

        with caplog.at_level(logging.WARNING, logger="conversations.limits"):
            on_the_app(app, scenario)
        assert limited(app) == {"organization_in_flight": 2.0}
        warnings = [r.getMessage() for r in caplog.records if r.name == "conversations.limits"]
        assert len(warnings) == 1, warnings
        assert "acme" not in warnings[0]  # the organization's id, not a name a client chose
        assert "2 requests in flight" in warnings[0]
        refusals = [line for line in access_lines() if line["status"] == 429]
        assert [line["operation_id"] for line in refusals] == [
            "update_conversation",
            "retrieve_conversation",
        ]
        assert all(line["organization_id"] in warnings[0] for line in refusals)


def test_two_users_of_one_organization_share_its_cap(sqlite_url: str) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    bob = bearer(mint_key_in_process(sqlite_url, "acme", "bob"))
    with in_process(store_for(sqlite_url), in_flight_per_organization=1) as app:
        created = app.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
        item = f"/conversations/{created.json()['id']}"

        async def scenario(client: httpx.AsyncClient) -> None:
            release = asyncio.Event()
            [held] = updates_in_flight(client, item, alice, release, 1)
            await asyncio.sleep(0.2)
            assert (await client.get(item, headers=bob)).status_code == 429
            release.set()
            assert (await held).status_code == 200
            assert (await client.get(item, headers=bob)).status_code == 200

        on_the_app(app, scenario)


def test_the_health_probes_take_no_share_and_the_default_cap_is_generous(
    sqlite_url: str,
) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    with in_process(store_for(sqlite_url)) as app:
        created = app.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
        item = f"/conversations/{created.json()['id']}"

        async def scenario(client: httpx.AsyncClient) -> list[int]:
            answers = await asyncio.gather(
                *(client.get(item, headers=alice) for _ in range(60)),
                *(client.get("/health") for _ in range(10)),
            )
            return [answer.status_code for answer in answers]

        assert set(on_the_app(app, scenario)) == {200}
        assert limited(app) == {}


def test_with_the_cap_off_an_organization_is_served_past_the_default_cap(sqlite_url: str) -> None:
    alice = bearer(mint_key_in_process(sqlite_url, "acme", "alice"))
    with in_process(store_for(sqlite_url), in_flight_per_organization="off") as app:
        created = app.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
        item = f"/conversations/{created.json()['id']}"

        async def scenario(client: httpx.AsyncClient) -> None:
            release = asyncio.Event()
            # One more update in flight than the default cap (100) lets through.
            held = updates_in_flight(client, item, alice, release, 101)
            await asyncio.sleep(0.5)
            assert (await client.get(item, headers=alice)).status_code == 200
            release.set()
            assert {answer.status_code for answer in await asyncio.gather(*held)} == {200}

        on_the_app(app, scenario)
        assert limited(app) == {}
