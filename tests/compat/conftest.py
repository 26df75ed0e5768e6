"""Letta's official SDK, unmodified, against a real server: sync and async clients alike."""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from letta_client import AsyncLetta, Letta

from tests.support import Keys, Served


class Blocking:
    """Calls an async SDK client as if it were the sync one, so one scenario tests both."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return Blocking(attribute, self._loop)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(attribute(*args, **kwargs))

        return call


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest, server: Served) -> Iterator[Callable[..., Letta]]:
    """Opens SDK clients pointed at our server as a self-hosted Letta user would."""
    loop = asyncio.new_event_loop()
    opened: list[Any] = []

    def open_client(**options: Any) -> Letta:
        options = {"base_url": server.base_url, "max_retries": 0, **options}
        if request.param == "sync":
            client = Letta(**options)
            opened.append(client)
            return client
        async_client = AsyncLetta(**options)
        opened.append(Blocking(async_client, loop))
        return Blocking(async_client, loop)  # type: ignore[return-value]

    yield open_client
    for client in opened:
        client.close()
    loop.close()


@pytest.fixture
def letta(connect: Callable[..., Letta], keys: Keys) -> Letta:
    return connect(api_key=keys.alice)
