"""A key's own rate limit on a real server, on both engines: over it, 429 with Retry-After and
the RateLimit fields; after waiting that long, served; keys limited apart."""

import time
import uuid

import httpx

from server_impl.domain.ports import KeyLimit
from tests.support import TLS, RunningServer, bearer, mint_key_in_process

TWO_THEN_ONE_PER_2_S = KeyLimit(rate_per_s=0.5, burst=2)
"""Two at once, then one every 2 s: slow enough that a loaded machine's pauses refill none."""


def limited_key(server: RunningServer, organization: str | None = None) -> str:
    return mint_key_in_process(
        server.database_url, organization or f"limited-{uuid.uuid4()}", "bot", TWO_THEN_ONE_PER_2_S
    )


def test_a_key_over_its_rate_gets_429_and_after_retry_after_is_served(
    server: RunningServer,
) -> None:
    with httpx.Client(
        verify=TLS, base_url=server.api_url, headers=bearer(limited_key(server))
    ) as http:
        assert [http.get("/conversations/").status_code for _ in range(2)] == [200, 200]
        refused = http.get("/conversations/")
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 2
        assert refused.headers["ratelimit-policy"] == '"key";q=2;w=4'
        assert refused.headers["ratelimit"] == f'"key";r=0;t={wait}'
        time.sleep(wait)
        assert http.get("/conversations/").status_code == 200


def test_keys_of_one_organization_and_of_two_are_limited_apart(server: RunningServer) -> None:
    organization = f"limited-{uuid.uuid4()}"
    keys = [limited_key(server, organization), limited_key(server, organization)]
    keys.append(limited_key(server))
    statuses = []
    for key in keys:
        with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(key)) as http:
            statuses.append([http.get("/conversations/").status_code for _ in range(3)])
    assert statuses == [[200, 200, 429]] * 3
