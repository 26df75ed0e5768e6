from collections.abc import Iterator

import pytest
from letta_client import AsyncLetta, Letta

from tests.conftest import Keys, RunningServer


@pytest.fixture
def letta(server: RunningServer, keys: Keys) -> Iterator[Letta]:
    # Unmodified SDK, pointed at our server as a user of a self-hosted Letta would.
    with Letta(base_url=server.base_url, api_key=keys.alice, max_retries=0) as client:
        yield client


@pytest.fixture
def async_letta(server: RunningServer, keys: Keys) -> AsyncLetta:
    return AsyncLetta(base_url=server.base_url, api_key=keys.alice, max_retries=0)
