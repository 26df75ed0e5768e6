import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from letta_conversations_client import AuthenticatedClient

from tests.support import TLS, Served, bearer, mint_key


@pytest.fixture(scope="session")
def key(server: Served) -> str:
    """A key of an organization of its own; each test also has an agent of its own."""
    return mint_key(server.database_url, f"client-{uuid.uuid4()}", "alice")


@pytest.fixture
def client(server: Served, key: str) -> Iterator[AuthenticatedClient]:
    with AuthenticatedClient(verify_ssl=TLS, base_url=server.api_url, token=key) as client:
        yield client


@pytest.fixture
def client_through(
    server: Served, key: str
) -> Iterator[Callable[[httpx.BaseTransport], AuthenticatedClient]]:
    """Makes a client whose requests go through the given transport (faults before the server)."""
    made: list[AuthenticatedClient] = []

    def make(transport: httpx.BaseTransport) -> AuthenticatedClient:
        client = AuthenticatedClient(
            verify_ssl=TLS, base_url=server.api_url, token=key, httpx_args={"transport": transport}
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.get_httpx_client().close()


@pytest.fixture
def raw(server: Served, key: str) -> Iterator[httpx.Client]:
    """Plain HTTP with the same key, to see what the server holds."""
    with httpx.Client(verify=TLS, base_url=server.api_url, headers=bearer(key), timeout=10) as http:
        yield http
