"""Every operation of the previous release's generated client against a running server.

tests/compat/test_previous_client.py runs this file as a script, in a process of its own whose
PYTHONPATH puts the client generated from openapi-0.1.0.yaml before the current one in .venv:
``python calls.py SCENARIO`` with the server's API URL, a key and a fresh agent id in
PREVIOUS_CLIENT_URL, PREVIOUS_CLIENT_KEY and PREVIOUS_CLIENT_AGENT. A failed check raises, and
the process exits non-zero with the traceback.

It imports only the standard library and the client. `make lint` checks it against the current
client, installed in .venv, of which the previous release's is a subset.
"""

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import letta_conversations_client
from letta_conversations_client import AuthenticatedClient, Client
from letta_conversations_client.api.conversations import (
    create_conversation,
    delete_conversation,
    delete_default_conversation,
    list_conversations,
    retrieve_conversation,
    retrieve_default_conversation,
    update_conversation,
    update_default_conversation,
)
from letta_conversations_client.api.health import check_liveness, check_readiness
from letta_conversations_client.models import (
    Conversation,
    ConversationCreate,
    ConversationUpdate,
    Health,
    HealthStatus,
    ListConversationsOrder,
    Problem,
)
from letta_conversations_client.types import UNSET, Response

T = TypeVar("T")
V = TypeVar("V")
URL = os.environ.get("PREVIOUS_CLIENT_URL", "")
KEY = os.environ.get("PREVIOUS_CLIENT_KEY", "")
AGENT = os.environ.get("PREVIOUS_CLIENT_AGENT", "")
MISSING = "conv-00000000-0000-4000-8000-000000000000"
STALE = '"999999"'


def client(key: str = KEY) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=URL, token=key, raise_on_unexpected_status=True)


def check(condition: bool, *about: object) -> None:
    if not condition:
        raise AssertionError(about)


def given(value: V | None, *about: object) -> V:
    """The value, which must not be None."""
    if value is None:
        raise AssertionError(about)
    return value


def parsed_as(kind: type[T], response: Response[Any], status: int = 200) -> T:
    """The parsed body, checked against the raw one: every field the model knows has the value
    sent, and every field it does not know (one the server added later) is kept in
    additional_properties, so nothing the server sent is lost."""
    check(response.status_code == HTTPStatus(status), response.status_code, response.content)
    parsed = response.parsed
    if not isinstance(parsed, kind):
        raise AssertionError(parsed)
    matches(parsed, json.loads(response.content))
    return parsed


@runtime_checkable
class Model(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def matches(parsed: object, raw: object) -> None:
    """A model agrees with the object it was parsed from, a list item by item."""
    if isinstance(parsed, list) and isinstance(raw, list):
        for model, item in zip(parsed, raw, strict=True):
            matches(model, item)
    elif isinstance(parsed, Model) and isinstance(raw, dict):
        agrees(parsed, raw)
    else:
        raise AssertionError(parsed, raw)


def agrees(model: Model, raw: dict[str, Any]) -> None:
    """to_dict() writes the fields the model knows under their JSON names, then the ones it
    keeps in additional_properties: the same keys and values as the body it was parsed from."""
    written = model.to_dict()
    check(written.keys() == raw.keys(), sorted(written), sorted(raw))
    for name, value in raw.items():
        check(same(written[name], value), name, written[name], value)


def same(written: Any, sent: Any) -> bool:
    """Equal, a timestamp compared as the instant it names (isoformat() writes +00:00 for Z)."""
    if written == sent:
        return True
    try:
        return bool(dt.datetime.fromisoformat(written) == dt.datetime.fromisoformat(sent))
    except (TypeError, ValueError):
        return False


def conversation(response: Response[Conversation | Problem]) -> Conversation:
    return parsed_as(Conversation, response)


def problem(response: Response[Any], status: int) -> Problem:
    answer = parsed_as(Problem, response, status)
    check(answer.status == status, answer)
    check(response.headers["content-type"] == "application/problem+json", response.headers)
    return answer


def etag(response: Response[Any]) -> str:
    tag: str = response.headers["etag"]
    check(tag.startswith('"') and tag.endswith('"'), tag)
    return tag


def the_client_is_the_previous_release() -> None:
    """Not the current one installed in .venv: PYTHONPATH comes first."""
    where = Path(letta_conversations_client.__file__).resolve()
    expected = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve()
    check(where.is_relative_to(expected), where, expected)


def create_retrieve_and_list_in_pages() -> None:
    with client() as alice:
        created = [
            conversation(
                create_conversation.sync_detailed(
                    client=alice, agent_id=AGENT, body=ConversationCreate(summary=f"page {n}")
                )
            )
            for n in range(3)
        ]
        created.append(
            conversation(create_conversation.sync_detailed(client=alice, agent_id=AGENT))
        )
        for made in created:
            check(made.agent_id == AGENT and made.id.startswith("conv-"), made)
            check(isinstance(made.created_at, dt.datetime), made)
            again = conversation(retrieve_conversation.sync_detailed(made.id, client=alice))
            check(again == made, again, made)
        check(created[-1].summary is None, created[-1])

        def page(after: str | None, order: ListConversationsOrder) -> list[Conversation]:
            response = list_conversations.sync_detailed(
                client=alice,
                agent_id=AGENT,
                limit=3,
                order=order,
                after=UNSET if after is None else after,
            )
            return parsed_as(list, response)

        for order, expected in (
            (ListConversationsOrder.ASC, created),
            (ListConversationsOrder.DESC, created[::-1]),
        ):
            seen: list[Conversation] = []
            pages = 0
            after: str | None = None
            while pages == 0 or after is not None:
                got = page(after, order)
                pages += 1
                seen += got
                after = got[-1].id if len(got) == 3 else None
            check(pages == 2, order, pages)
            check([item.id for item in seen] == [item.id for item in expected], order, seen)

        found = list_conversations.sync_detailed(
            client=alice, agent_id=AGENT, summary_search="page 1"
        )
        check([item.id for item in parsed_as(list, found)] == [created[1].id], found.content)

        # A field added to the resource later is kept by this client, beside any the server
        # already sends that this client does not know.
        raw = created[0].to_dict()
        added = {"added_in_a_later_release": {"nested": [1, None]}}
        later = Conversation.from_dict({**raw, **added})
        kept = {**created[0].additional_properties, **added}
        check(later.additional_properties == kept, later.additional_properties, kept)
        check(later.to_dict() == {**raw, **added}, later.to_dict())


def update_set_and_clear_with_if_match() -> None:
    with client() as alice:
        response = create_conversation.sync_detailed(
            client=alice, agent_id=AGENT, body=ConversationCreate(summary="first")
        )
        made = conversation(response)
        tag = etag(response)

        response = update_conversation.sync_detailed(
            made.id, client=alice, body=ConversationUpdate(summary="second"), if_match=tag
        )
        updated = conversation(response)
        check(updated.summary == "second", updated)
        check(given(updated.updated_at, updated) > given(made.updated_at, made), updated, made)

        stale = update_conversation.sync_detailed(
            made.id, client=alice, body=ConversationUpdate(summary="lost"), if_match=tag
        )
        problem(stale, 412)

        response = update_conversation.sync_detailed(made.id, client=alice)
        kept = conversation(response)
        check(kept.summary == "second", kept)

        cleared = conversation(
            update_conversation.sync_detailed(
                made.id,
                client=alice,
                body=ConversationUpdate(summary=None),
                if_match=etag(response),
            )
        )
        check(cleared.summary is None, cleared)
        again = conversation(retrieve_conversation.sync_detailed(made.id, client=alice))
        check(again.summary is None and again.updated_at == cleared.updated_at, again, cleared)

        problem(retrieve_conversation.sync_detailed(MISSING, client=alice), 404)
        missing = update_conversation.sync_detailed(
            MISSING, client=alice, body=ConversationUpdate(summary="x")
        )
        problem(missing, 404)


def default_conversation_by_agent_id() -> None:
    with client() as alice:
        response = retrieve_default_conversation.sync_detailed(client=alice, agent_id=AGENT)
        first = conversation(response)
        check(first.agent_id == AGENT and first.id.startswith("conv-"), first)
        same = conversation(
            retrieve_default_conversation.sync_detailed(client=alice, agent_id=AGENT)
        )
        check(same == first, same, first)

        response = update_default_conversation.sync_detailed(
            client=alice,
            agent_id=AGENT,
            body=ConversationUpdate(summary="the default"),
            if_match=etag(response),
        )
        updated = conversation(response)
        check(updated.id == first.id and updated.summary == "the default", updated)
        by_id = conversation(retrieve_conversation.sync_detailed(first.id, client=alice))
        check(by_id == updated, by_id, updated)

        stale = update_default_conversation.sync_detailed(
            client=alice, agent_id=AGENT, body=ConversationUpdate(summary=None), if_match=STALE
        )
        problem(stale, 412)
        response = update_default_conversation.sync_detailed(
            client=alice, agent_id=AGENT, body=ConversationUpdate(summary=None)
        )
        cleared = conversation(response)
        check(cleared.summary is None, cleared)

        problem(
            delete_default_conversation.sync_detailed(client=alice, agent_id=AGENT, if_match=STALE),
            412,
        )
        deleted = conversation(
            delete_default_conversation.sync_detailed(
                client=alice, agent_id=AGENT, if_match=etag(response)
            )
        )
        check(deleted.id == first.id, deleted, first)
        problem(retrieve_conversation.sync_detailed(first.id, client=alice), 404)
        problem(delete_default_conversation.sync_detailed(client=alice, agent_id=AGENT), 404)

        fresh = conversation(
            retrieve_default_conversation.sync_detailed(client=alice, agent_id=AGENT)
        )
        check(fresh.id != first.id and fresh.summary is None, fresh, first)


def delete_by_id() -> None:
    with client() as alice:
        response = create_conversation.sync_detailed(client=alice, agent_id=AGENT)
        made = conversation(response)
        problem(delete_conversation.sync_detailed(made.id, client=alice, if_match=STALE), 412)
        deleted = conversation(
            delete_conversation.sync_detailed(made.id, client=alice, if_match=etag(response))
        )
        check(deleted.id == made.id, deleted, made)
        problem(retrieve_conversation.sync_detailed(made.id, client=alice), 404)
        problem(delete_conversation.sync_detailed(made.id, client=alice), 404)
        listed = list_conversations.sync_detailed(client=alice, agent_id=AGENT)
        check(parsed_as(list, listed) == [], listed.content)


def health_and_refusals() -> None:
    with Client(base_url=URL, raise_on_unexpected_status=True) as anonymous:
        live = parsed_as(Health, check_liveness.sync_detailed(client=anonymous))
        check(live.status == HealthStatus.OK, live)
        ready = parsed_as(Health, check_readiness.sync_detailed(client=anonymous))
        check(ready.status == HealthStatus.READY, ready)
    with client("not-a-key") as stranger:
        problem(list_conversations.sync_detailed(client=stranger), 401)
        problem(create_conversation.sync_detailed(client=stranger, agent_id=AGENT), 401)


SCENARIOS: dict[str, Callable[[], None]] = {
    scenario.__name__: scenario
    for scenario in (
        the_client_is_the_previous_release,
        create_retrieve_and_list_in_pages,
        update_set_and_clear_with_if_match,
        default_conversation_by_agent_id,
        delete_by_id,
        health_and_refusals,
    )
}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
