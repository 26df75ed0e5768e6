"""sync() and asyncio() of the generated client raise, for each error status the spec documents,
an exception of its own under ApiError, carrying the problem and the headers; against the real
server, where it answers each of them."""

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from letta_conversations_client import ApiError, AuthenticatedClient
from letta_conversations_client.api.conversations import (
    create_conversation,
    list_conversations,
    retrieve_conversation,
    update_conversation,
)
from letta_conversations_client.errors import (
    ERRORS_BY_STATUS,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    RequestHeaderFieldsTooLargeError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnexpectedStatus,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from letta_conversations_client.models import Conversation, ConversationCreate, ConversationUpdate

from tests.support import AGENT, TLS, Served, mint_key, serve_in_thread, slow_down_inserts

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only

MISSING = "conv-00000000-0000-4000-8000-000000000000"


def rewriting(rewrite: Callable[[httpx.Request], httpx.Request]) -> httpx.BaseTransport:
    """A transport that sends each request as rewrite makes it: what this client never sends."""

    class Rewriting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.read()
            return super().handle_request(rewrite(request))

    return Rewriting()


def resent(request: httpx.Request, headers: dict[str, str], content: bytes) -> httpx.Request:
    """request with headers changed and content as its body (httpx sets its length)."""
    kept = {name: value for name, value in request.headers.items() if name != "content-length"}
    changed = {name.lower(): value for name, value in headers.items()}
    return httpx.Request(request.method, request.url, headers={**kept, **changed}, content=content)


def through(server: Served, key: str, transport: httpx.BaseTransport) -> AuthenticatedClient:
    return AuthenticatedClient(
        verify_ssl=TLS,
        base_url=server.api_url,
        token=key,
        retries=0,
        httpx_args={"transport": transport},
    )


@pytest.fixture
def conversation(client: AuthenticatedClient, agent_id: str) -> Conversation:
    return create_conversation.sync(client=client, agent_id=agent_id)


def test_every_documented_error_status_has_a_class_of_its_own_under_api_error() -> None:
    statuses = {400, 401, 404, 409, 412, 413, 415, 422, 429, 431, 501, 503}
    assert set(ERRORS_BY_STATUS) == statuses
    assert len(set(ERRORS_BY_STATUS.values())) == len(statuses)
    assert all(issubclass(error, ApiError) for error in ERRORS_BY_STATUS.values())
    assert issubclass(UnexpectedStatus, ApiError)


def test_404_raises_not_found_with_the_problem_and_headers(client: AuthenticatedClient) -> None:
    with pytest.raises(NotFoundError) as raised:
        retrieve_conversation.sync(MISSING, client=client, x_request_id="my-request-1")
    error = raised.value
    assert error.status_code == 404 and error.title == "Not Found"
    assert error.detail is not None and MISSING in error.detail
    assert error.problem is not None and error.problem.status == 404
    assert error.request_id == "my-request-1" == error.headers["x-request-id"]
    assert error.headers["content-type"] == "application/problem+json"
    assert error.invalid_params == []
    assert str(error).startswith("404 Not Found: ")


def test_the_detailed_form_returns_the_response_instead(client: AuthenticatedClient) -> None:
    response = retrieve_conversation.sync_detailed(MISSING, client=client)
    assert response.status_code == 404 and response.parsed is not None
    assert response.headers["content-type"] == "application/problem+json"


def test_401_raises_unauthorized(server: Served) -> None:
    with (
        AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token="lck_not-a-key"
        ) as stranger,
        pytest.raises(UnauthorizedError) as raised,
    ):
        list_conversations.sync(client=stranger)
    assert raised.value.headers["www-authenticate"].startswith("Bearer")


def test_422_raises_unprocessable_naming_the_invalid_params(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    with pytest.raises(UnprocessableEntityError) as raised:
        update_conversation.sync(
            conversation.id, client=client, body=ConversationUpdate(summary="x" * 10_001)
        )
    assert [param.name for param in raised.value.invalid_params] == ["body.summary"]
    assert "10000" in raised.value.invalid_params[0].reason


def test_412_raises_precondition_failed_and_a_current_if_match_goes_through(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    read = retrieve_conversation.sync_detailed(conversation.id, client=client)
    changed = update_conversation.sync_detailed(
        conversation.id, client=client, body=ConversationUpdate(summary="a")
    )
    with pytest.raises(PreconditionFailedError) as raised:
        update_conversation.sync(
            conversation.id,
            client=client,
            body=ConversationUpdate(summary="b"),
            if_match=read.headers["etag"],
        )
    assert raised.value.status_code == 412
    # The client sends the tag as given, so the current one matches.
    updated = update_conversation.sync(
        conversation.id,
        client=client,
        body=ConversationUpdate(summary="c"),
        if_match=changed.headers["etag"],
    )
    assert updated.summary == "c"


def test_413_raises_payload_too_large(
    client: AuthenticatedClient, conversation: Conversation
) -> None:
    body = ConversationUpdate()
    body.additional_properties["padding"] = "x" * 1_100_000
    with pytest.raises(PayloadTooLargeError):
        update_conversation.sync(conversation.id, client=client, body=body)


def test_400_415_and_431_raise_their_own(
    server: Served, key: str, conversation: Conversation
) -> None:
    def malformed(request: httpx.Request) -> httpx.Request:
        return resent(request, {}, b"{")

    def plain_text(request: httpx.Request) -> httpx.Request:
        return resent(request, {"Content-Type": "text/plain"}, request.content)

    def huge_head(request: httpx.Request) -> httpx.Request:
        return resent(request, {"X-Padding": "x" * 70_000}, request.content)

    body = ConversationUpdate(summary="s")
    for rewrite, error in [
        (malformed, BadRequestError),
        (plain_text, UnsupportedMediaTypeError),
        (huge_head, RequestHeaderFieldsTooLargeError),
    ]:
        with through(server, key, rewriting(rewrite)) as client, pytest.raises(error):
            update_conversation.sync(conversation.id, client=client, body=body)


def test_asyncio_raises_as_sync_does(server: Served, key: str) -> None:
    async def retrieve() -> None:
        async with AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key
        ) as client:
            await retrieve_conversation.asyncio(MISSING, client=client)

    with pytest.raises(NotFoundError):
        asyncio.run(retrieve())


def test_409_raises_conflict_while_the_same_create_is_in_flight(
    postgres_url: str, tmp_path: Path
) -> None:
    slow_down_inserts(postgres_url, "slow", 3)
    server = serve_in_thread(postgres_url, tmp_path / "server.log")
    key = mint_key(postgres_url, "acme", "alice")
    try:
        agent_id, idempotency_key = f"agent-{uuid.uuid4()}", f"in-flight-{uuid.uuid4()}"
        body = ConversationCreate(summary="slow")
        with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as client:
            first = threading.Thread(
                target=create_conversation.sync,
                kwargs={
                    "client": client,
                    "agent_id": agent_id,
                    "body": body,
                    "idempotency_key": idempotency_key,
                },
            )
            first.start()
            try:
                time.sleep(0.5)  # the first has claimed the key, and waits on its insert
                with pytest.raises(ConflictError) as raised:
                    create_conversation.sync(
                        client=client,
                        agent_id=agent_id,
                        body=body,
                        idempotency_key=idempotency_key,
                        retries=0,
                    )
                assert raised.value.headers["retry-after"] == "1"
            finally:
                first.join()
    finally:
        server.stop()


@pytest.fixture
def crowded(server: Served, tmp_path: Path) -> Iterator[tuple[Served, str]]:
    """A server allowed two connections, both busy sending a body: any other request gets 503."""
    crowded = serve_in_thread(server.database_url, tmp_path / "server.log", max_connections=2)
    key = mint_key(server.database_url, "acme", "crowded")
    busy: list[socket.socket] = []
    try:
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", int(crowded.base_url.rsplit(":", 1)[1])))
            busy.append(sock)
            sock.sendall(
                f"POST /v1/conversations/?agent_id={AGENT} HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {key}\r\n"
                "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                "Content-Length: 100\r\n\r\n".encode()
            )
            # The interim answer says the server holds the connection, busy on its body.
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                chunk = sock.recv(1)
                assert chunk, interim
                interim += chunk
            assert interim.startswith(b"HTTP/1.1 100 "), interim
            sock.sendall(b'{"sum')
        yield crowded, key
    finally:
        for sock in busy:
            sock.close()
        crowded.stop()


def test_503_raises_service_unavailable_with_retry_after(
    crowded: tuple[Served, str],
) -> None:
    server, key = crowded
    with (
        AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key, retries=0
        ) as client,
        pytest.raises(ServiceUnavailableError) as raised,
    ):
        list_conversations.sync(client=client)
    assert raised.value.headers["retry-after"] == "1"
    assert raised.value.request_id == raised.value.headers["x-request-id"]
