"""Walking a list on the wire by its `Link: <…>; rel="next"`: every conversation that does not
change meanwhile is listed exactly once, also when the conversation a page ended with moves, is
cleared or is deleted (issue 22, item 4); a cursor the server did not make for this caller and
order is a 422 naming query.after."""

import re

import httpx
import pytest

from tests.support import TLS, Keys, Served, bearer

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

NEXT = re.compile(r'<([^>]*)>; rel="next"')
DAYS = [f"2026-01-{n:02d}T00:00:00Z" for n in range(1, 11)]


def create_ten(http: httpx.Client, agent_id: str) -> list[str]:
    """c0…c9, with last_message_at 2026-01-01…10."""
    ids = []
    for day in DAYS:
        made = http.post("/conversations/", params={"agent_id": agent_id})
        assert made.status_code == 200, made.text
        ids.append(made.json()["id"])
        set_last_message(http, ids[-1], day)
    return ids


def set_last_message(http: httpx.Client, conversation_id: str, at: str | None) -> None:
    updated = http.patch(f"/conversations/{conversation_id}", json={"last_message_at": at})
    assert updated.status_code == 200, updated.text


def ids_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [conversation["id"] for conversation in response.json()]


def next_url(response: httpx.Response) -> httpx.URL | None:
    link = response.headers.get("link")
    if link is None:
        return None
    found = NEXT.fullmatch(link)
    assert found is not None, link
    return response.url.join(found[1])


def follow(http: httpx.Client, response: httpx.Response) -> list[str]:
    """The ids of every page after response's, following each Link."""
    ids: list[str] = []
    while (url := next_url(response)) is not None:
        response = http.get(url)
        ids += ids_of(response)
    return ids


def first_page(http: httpx.Client, agent_id: str, order: str) -> httpx.Response:
    query = {"agent_id": agent_id, "order_by": "last_message_at", "order": order, "limit": "3"}
    return http.get("/conversations/", params=query)


def test_an_ascending_walk_goes_on_past_the_conversation_its_page_ended_with_moved_later(
    http: httpx.Client, agent_id: str
) -> None:
    c = create_ten(http, agent_id)
    first = first_page(http, agent_id, "asc")
    assert ids_of(first) == c[0:3]
    set_last_message(http, c[2], "2030-01-01T00:00:00Z")
    # c3…c9, then c2 again where it moved to.
    assert follow(http, first) == [*c[3:], c[2]]
    # A bare id follows its conversation's current place: after c2, now last, nothing.
    bare = http.get("/conversations/", params={**first.url.params, "after": c[2]})
    assert ids_of(bare) == []


@pytest.mark.parametrize("change", ["moved", "cleared", "deleted"])
def test_a_descending_walk_goes_on_from_the_place_of_c7_whatever_became_of_it(
    http: httpx.Client, agent_id: str, change: str
) -> None:
    c = create_ten(http, agent_id)
    first = first_page(http, agent_id, "desc")
    assert ids_of(first) == c[9:6:-1]
    if change == "deleted":
        assert http.delete(f"/conversations/{c[7]}").status_code == 200
    else:
        set_last_message(http, c[7], "2030-01-01T00:00:00Z" if change == "moved" else None)
    # Cleared, c7 sorts last newest first, and is listed again there.
    assert follow(http, first) == c[6::-1] + ([c[7]] if change == "cleared" else [])


def test_the_next_link_keeps_the_query_and_the_last_page_has_none(
    http: httpx.Client, agent_id: str
) -> None:
    c = create_ten(http, agent_id)
    query = {"agent_id": agent_id, "limit": "4", "order": "asc", "summary_search": "no such"}
    assert "link" not in http.get("/conversations/", params=query).headers
    del query["summary_search"]
    first = http.get("/conversations/", params={**query, "unknown": "x" * 100})
    url = next_url(first)
    assert url is not None and url.path == first.url.path
    assert {k: v for k, v in url.params.items() if k != "after"} == query
    second = http.get(url)
    assert ids_of(second) == c[4:8]
    last = http.get(next_url(second) or "")
    assert ids_of(last) == c[8:]
    assert "link" not in last.headers, "no link past the last page"


def test_a_cursor_altered_of_another_order_or_organization_is_a_422_naming_query_after(
    http: httpx.Client, server: Served, keys: Keys, agent_id: str
) -> None:
    create_ten(http, agent_id)
    first = first_page(http, agent_id, "asc")
    url = next_url(first)
    assert url is not None
    cursor = url.params["after"]
    payload, mac = cursor.split(".")
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac
    query = dict(url.params)
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(keys.carol)) as carol:
        answers = [
            http.get("/conversations/", params={**query, "after": altered}),
            http.get("/conversations/", params={**query, "after": cursor + "\n"}),
            http.get("/conversations/", params={**query, "order": "desc"}),
            http.get("/conversations/", params={**query, "order_by": "created_at"}),
            carol.get("/conversations/", params=query),
        ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert [p["name"] for p in problem["invalid_params"]] == ["query.after"], problem
        # Nothing of the list: the spec's pattern for after, quoted, names only the shape.
        assert agent_id not in answer.text
        assert not any(conversation in answer.text for conversation in ids_of(first))
    # The same cursor, as made, still works.
    assert http.get("/conversations/", params=query).status_code == 200
