"""Failures schemathesis found, each pinned as a plain test so it cannot come back unnoticed."""

import httpx
import pytest

from tests.support import RunningServer

ITEM = "/conversations/conv-00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/conversations/", {"GET", "HEAD", "POST"}),
        ("/conversations", {"GET", "HEAD", "POST"}),
        (ITEM, {"GET", "HEAD", "PATCH", "DELETE"}),
        ("/conversations/default", {"GET", "HEAD", "PATCH", "DELETE"}),
    ],
)
@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "TRACE"])
def test_an_unsupported_method_is_a_405_whose_allow_lists_every_method(
    server: RunningServer, path: str, allowed: set[str], method: str
) -> None:
    # ST205: connexion routes each operation on its own, so its 405 named only the first
    # operation's methods ("Allow: HEAD, GET" for an item that also takes PATCH and DELETE).
    response = httpx.request(method, f"{server.api_url}{path}")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert response.headers["content-type"] == "application/problem+json"


def test_default_without_agent_id_is_rejected_as_the_spec_says(http: httpx.Client) -> None:
    # ST202: `default` sat in the {conversation_id} pattern, so the spec called a request without
    # agent_id valid while the server answered 422. The alias now has its own path whose
    # agent_id is required, and the item path takes only conv- ids.
    response = http.patch("/conversations/default", json={"summary": "x"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "query.agent_id"
