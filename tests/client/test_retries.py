"""The generated client's retry policy, with faults injected between it and a real server: what
it retries, how long it waits, and that a retried create makes one conversation."""

import asyncio
import email.utils
import time
from collections.abc import Callable

import httpx
import pytest
from letta_conversations_client import DEFAULT_TIMEOUT, AuthenticatedClient, RetryPolicy
from letta_conversations_client.api.conversations import (
    create_conversation,
    list_conversations,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.client import send
from letta_conversations_client.errors import (
    ConflictError,
    ServiceUnavailableError,
    UnprocessableEntityError,
)
from letta_conversations_client.models import Conversation, ConversationCreate, ConversationUpdate

from server_impl.domain.ports import KeyLimit
from tests.client.faults import (
    AsyncFaults,
    Faults,
    dropped_after_handling,
    refused,
    timed_out,
    unavailable,
)
from tests.support import TLS, Served, mint_key_in_process

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

Through = Callable[[httpx.BaseTransport], AuthenticatedClient]
# Quick backoff, for the faults that carry no Retry-After.
QUICK = RetryPolicy(initial_delay=0.01, max_delay=0.02)


def listed_ids(raw: httpx.Client, agent_id: str) -> list[str]:
    page = raw.get("/conversations/", params={"agent_id": agent_id, "archive_status": "all"})
    assert page.status_code == 200, page.text
    return [conversation["id"] for conversation in page.json()]


def test_two_503s_with_retry_after_then_success_is_one_successful_call_waiting_as_told(
    client_through: Through, client: AuthenticatedClient, agent_id: str
) -> None:
    made = create_conversation.sync(client=client, agent_id=agent_id)
    faults = Faults([unavailable(retry_after="1"), unavailable(retry_after="1")])

    got = retrieve_conversation.sync(made.id, client=client_through(faults))

    assert got.id == made.id
    assert len(faults.sent) == 3
    assert all(1.0 <= wait < 1.5 for wait in faults.waits), faults.waits


def test_retry_after_as_an_http_date_is_honoured(
    client_through: Through, client: AuthenticatedClient, agent_id: str
) -> None:
    made = create_conversation.sync(client=client, agent_id=agent_id)
    in_two_seconds = email.utils.formatdate(time.time() + 2, usegmt=True)
    faults = Faults([unavailable(retry_after=in_two_seconds)])
    assert retrieve_conversation.sync(made.id, client=client_through(faults)).id == made.id
    # The date has whole seconds: between one and two seconds away when it is read.
    assert 0.9 <= faults.waits[0] < 2.5, faults.waits


def test_retry_after_is_capped(client_through: Through, agent_id: str) -> None:
    faults = Faults([unavailable(retry_after="3600")])
    client = client_through(faults).with_retries(RetryPolicy(max_retry_after=0.2))
    list_conversations.sync(client=client, agent_id=agent_id)
    assert len(faults.sent) == 2 and faults.waits[0] < 1, faults.waits


def test_with_retries_off_the_first_503_raises_with_its_problem_and_headers(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([unavailable(retry_after="1")])
    with pytest.raises(ServiceUnavailableError) as raised:
        list_conversations.sync(client=client_through(faults).with_retries(0), agent_id=agent_id)
    assert len(faults.sent) == 1
    assert raised.value.status_code == 503 and raised.value.headers["retry-after"] == "1"
    assert raised.value.title == "Unavailable"


def test_retries_off_per_call_and_on_per_call(client_through: Through, agent_id: str) -> None:
    faults = Faults([unavailable(), unavailable(retry_after="0"), unavailable(retry_after="0")])
    client = client_through(faults)
    with pytest.raises(ServiceUnavailableError):
        list_conversations.sync(client=client, agent_id=agent_id, retries=0)
    assert len(faults.sent) == 1
    # The client's default is two retries; one call may ask for more.
    assert list_conversations.sync(client=client, agent_id=agent_id, retries=3) == []
    assert len(faults.sent) == 4


def test_once_retries_are_spent_the_last_answer_is_raised_or_returned(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([unavailable(retry_after="0") for _ in range(6)])
    client = client_through(faults)
    with pytest.raises(ServiceUnavailableError):
        list_conversations.sync(client=client, agent_id=agent_id)
    assert len(faults.sent) == 3  # the default: two retries
    assert list_conversations.sync_detailed(client=client, agent_id=agent_id).status_code == 503
    assert len(faults.sent) == 6


def test_a_422_is_never_retried(client_through: Through, agent_id: str) -> None:
    faults = Faults([])
    client = client_through(faults)
    with pytest.raises(UnprocessableEntityError):
        create_conversation.sync(
            client=client,
            agent_id=agent_id,
            body=ConversationCreate(summary="x" * 10_001),
            retries=5,
        )
    assert len(faults.sent) == 1


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 504])
def test_each_transient_status_is_retried(
    client_through: Through, agent_id: str, status: int
) -> None:
    faults = Faults([unavailable(retry_after="0", status=status)])
    assert list_conversations.sync(client=client_through(faults), agent_id=agent_id) == []
    assert len(faults.sent) == 2


@pytest.mark.parametrize("fault", [refused, timed_out], ids=["refused", "timed_out"])
def test_connection_errors_and_timeouts_are_retried_with_backoff(
    client_through: Through, agent_id: str, fault: Callable[..., httpx.Response]
) -> None:
    faults = Faults([fault, fault])
    assert (
        list_conversations.sync(client=client_through(faults), agent_id=agent_id, retries=QUICK)
        == []
    )
    assert len(faults.sent) == 3


def test_connection_errors_raise_once_retries_are_spent(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([refused, refused, refused])
    with pytest.raises(httpx.ConnectError):
        list_conversations.sync(client=client_through(faults), agent_id=agent_id, retries=QUICK)
    assert len(faults.sent) == 3


def test_a_create_dropped_after_the_server_handled_it_is_retried_into_the_same_conversation(
    client_through: Through, raw: httpx.Client, agent_id: str
) -> None:
    faults = Faults([dropped_after_handling])
    answer = create_conversation.sync_detailed(
        client=client_through(faults), agent_id=agent_id, body=ConversationCreate(summary="once")
    )
    assert answer.status_code == 200 and answer.headers["idempotent-replayed"] == "true"
    first, retry = (request for _, request in faults.sent)
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert isinstance(answer.parsed, Conversation)
    assert listed_ids(raw, agent_id) == [answer.parsed.id]


def test_each_create_call_sends_a_key_of_its_own_or_the_callers(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([])
    client = client_through(faults)
    create_conversation.sync(client=client, agent_id=agent_id)
    create_conversation.sync(client=client, agent_id=agent_id)
    create_conversation.sync(client=client, agent_id=agent_id, idempotency_key="mine-1")
    keys = [request.headers["idempotency-key"] for _, request in faults.sent]
    assert len(set(keys)) == 3 and keys[2] == "mine-1"


def test_a_create_in_flight_elsewhere_409_is_retried_after_retry_after(
    client_through: Through, raw: httpx.Client, agent_id: str
) -> None:
    faults = Faults([unavailable(retry_after="0", status=409)])
    made = create_conversation.sync(client=client_through(faults), agent_id=agent_id)
    assert len(faults.sent) == 2 and listed_ids(raw, agent_id) == [made.id]


def test_a_post_without_an_idempotency_key_is_never_retried(client_through: Through) -> None:
    faults = Faults([unavailable(retry_after="0")])
    client = client_through(faults)
    request = {"method": "post", "url": "/conversations/", "json": {}}
    assert send(client, request, retries=5).status_code == 503
    assert len(faults.sent) == 1
    faults.script.append(refused)
    with pytest.raises(httpx.ConnectError):
        send(client, request, retries=5)
    assert len(faults.sent) == 2


def test_a_409_of_another_cause_still_raises_conflict_once_retries_are_spent(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([unavailable(retry_after="0", status=409)])
    with pytest.raises(ConflictError) as raised:
        create_conversation.sync(client=client_through(faults), agent_id=agent_id, retries=0)
    assert raised.value.status_code == 409


def test_a_patch_is_retried_like_any_request_but_post(
    client_through: Through, client: AuthenticatedClient, agent_id: str
) -> None:
    made = create_conversation.sync(client=client, agent_id=agent_id)
    faults = Faults([unavailable(retry_after="0")])
    body = ConversationUpdate(summary="retried")
    updated = update_conversation.sync(made.id, client=client_through(faults), body=body)
    assert updated.summary == "retried" and len(faults.sent) == 2


def test_the_async_client_retries_as_the_sync_one(server: Served, key: str, agent_id: str) -> None:
    async def call() -> tuple[int, list[float]]:
        faults = AsyncFaults([unavailable(retry_after="1"), unavailable(retry_after="1")])
        async with AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key, httpx_args={"transport": faults}
        ) as client:
            assert await list_conversations.asyncio(client=client, agent_id=agent_id) == []
        times = [at for at, _ in faults.sent]
        return len(times), [
            later - earlier for earlier, later in zip(times, times[1:], strict=False)
        ]

    attempts, waits = asyncio.run(call())
    assert attempts == 3 and all(1.0 <= wait < 1.5 for wait in waits), waits


def test_timeouts_default_sensibly_and_are_set_per_client_and_per_call(
    client_through: Through, agent_id: str
) -> None:
    faults = Faults([])
    client = client_through(faults)
    list_conversations.sync(client=client, agent_id=agent_id)
    list_conversations.sync(client=client, agent_id=agent_id, timeout=2.5)
    list_conversations.sync(
        client=client.with_timeout(httpx.Timeout(7.0, connect=1.0)), agent_id=agent_id
    )
    timeouts = [request.extensions["timeout"] for _, request in faults.sent]
    assert (
        timeouts[0]
        == DEFAULT_TIMEOUT.as_dict()
        == {
            "connect": 5.0,
            "read": 30.0,
            "write": 30.0,
            "pool": 30.0,
        }
    )
    assert timeouts[1] == httpx.Timeout(2.5).as_dict()
    assert timeouts[2] == httpx.Timeout(7.0, connect=1.0).as_dict()


def test_the_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=1.5, jitter=0.25)
    for _ in range(50):
        assert 0.375 <= policy.wait(0) <= 0.5
        assert 0.75 <= policy.wait(1) <= 1.0
        assert 1.125 <= policy.wait(5) <= 1.5
    assert len({policy.wait(0) for _ in range(20)}) > 1  # jittered


def test_the_default_policy_is_two_retries() -> None:
    assert RetryPolicy().max_retries == 2
    assert [RetryPolicy().retries_status(status) for status in (400, 404, 412, 422, 501)] == [
        False,
        False,
        False,
        False,
        True,
    ]


@pytest.mark.client_only(False)  # mints its key in this thread: traced
def test_a_429_for_the_keys_rate_is_retried_after_retry_after_unseen(
    server: Served, agent_id: str
) -> None:
    # One request at once, then one every 2 s: the second call is refused by the real server.
    key = mint_key_in_process(
        server.database_url, f"client-{agent_id}", "bot", KeyLimit(rate_per_s=0.5, burst=1)
    )
    with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as limited:
        made = create_conversation.sync(client=limited, agent_id=agent_id)
        started = time.monotonic()
        assert retrieve_conversation.sync(made.id, client=limited).id == made.id
        assert time.monotonic() - started >= 1.0  # it waited as Retry-After said
