"""ETag and If-Match on the wire: change a conversation only while nobody else has (RFC 9110).

Here, what only the wire shows: the ETag header of every answer, If-Match read on each
conditional operation (by id and through the default alias), and the 412 problem. The rules
are pinned once below the wire: parsing If-Match in tests/domain/test_versions.py, 404 versus
412, `*` and the default in tests/domain/test_conversations.py, the version condition and
updated_at never falling on each engine in tests/storage/test_engines.py.
"""

import httpx
import pytest

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only


def etag_of(response: httpx.Response) -> str:
    tag = response.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"'), tag
    return tag


def test_every_conversation_answer_carries_a_strong_etag(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    params = {"agent_id": agent_id}
    answers = [
        created,
        http.get(url),
        http.patch(url, json={"summary": "x"}),
        http.get("/conversations/default", params=params),
        http.patch("/conversations/default", params=params, json={}),
        http.delete(url),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert not etag_of(answer).startswith("W/")


def test_the_etag_changes_with_every_change_and_only_then(
    http: httpx.Client, agent_id: str
) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    seen = [etag_of(created)]
    assert etag_of(http.get(url)) == seen[-1]
    for body in ({"summary": "a"}, {"summary": "a"}, {}):
        seen.append(etag_of(http.patch(url, json=body)))
        assert etag_of(http.get(url)) == seen[-1]
    assert len(set(seen)) == len(seen)


def test_a_matching_if_match_lets_the_update_through(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id})
    url = f"/conversations/{created.json()['id']}"
    tag = etag_of(created)
    for make_header in (lambda t: t, lambda t: f'"999", {t}', lambda t: "*"):
        header = make_header(tag)
        answer = http.patch(url, json={"summary": header}, headers={"If-Match": header})
        assert answer.status_code == 200, (header, answer.text)
        tag = etag_of(answer)


def test_a_stale_if_match_is_a_412_and_changes_nothing(http: httpx.Client, agent_id: str) -> None:
    created = http.post("/conversations/", params={"agent_id": agent_id}, json={"summary": "v1"})
    url = f"/conversations/{created.json()['id']}"
    stale = etag_of(created)
    current = http.patch(url, json={"summary": "v2"})
    for header in (stale, f"W/{etag_of(current)}", '"not-ours"', "garbage"):
        for answer in (
            http.patch(url, json={"summary": "lost"}, headers={"If-Match": header}),
            http.delete(url, headers={"If-Match": header}),
        ):
            assert answer.status_code == 412, (header, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    after = http.get(url)
    assert after.json() == current.json() and etag_of(after) == etag_of(current)


def test_the_default_alias_honours_if_match(http: httpx.Client, agent_id: str) -> None:
    params = {"agent_id": agent_id}
    first = http.get("/conversations/default", params=params)
    stale = http.patch(
        "/conversations/default", params=params, json={}, headers={"If-Match": '"999"'}
    )
    assert stale.status_code == 412
    fresh = http.patch(
        "/conversations/default", params=params, json={}, headers={"If-Match": etag_of(first)}
    )
    assert fresh.status_code == 200


def test_deleting_the_default_honours_if_match(http: httpx.Client, agent_id: str) -> None:
    params = {"agent_id": agent_id}
    first = http.get("/conversations/default", params=params)
    stale = http.delete("/conversations/default", params=params, headers={"If-Match": '"999"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    kept = http.get("/conversations/default", params=params)
    assert kept.json()["id"] == first.json()["id"], "a failed conditional delete deleted"
    deleted = http.delete(
        "/conversations/default", params=params, headers={"If-Match": etag_of(first)}
    )
    assert deleted.status_code == 200 and deleted.json()["id"] == first.json()["id"]
    assert http.get(f"/conversations/{first.json()['id']}").status_code == 404
