"""What the subcommands share: the settings given on the command line, a store opened for one
command, and the refusal said in one line (cli.py)."""

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from server_impl.domain.ports import Store
from server_impl.settings import Settings
from server_impl.storage import store_for


class Refused(Exception):
    """An operator's request that cannot be done as given; its message is the one line said."""


def settings_given(args: argparse.Namespace, *names: str) -> Settings:
    """The settings, with those of names that the command line gave taken from it (the others
    from CONVERSATIONS_* variables, else their defaults)."""
    given: dict[str, Any] = {
        name: getattr(args, name) for name in names if getattr(args, name, None) is not None
    }
    return Settings(**given)


async def with_store(database_url: str, work: Callable[[Store], Awaitable[int]]) -> int:
    """work's exit status, run with the database's store open."""
    store = store_for(database_url)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()
