"""How many of one organization's list pages, and of its scans, are read at once.

A list page is the one statement whose cost grows with an organization; every other statement
is an indexed lookup of one row. Held below the connections of a store (SQLite's readers,
PostgreSQL's pool), one organization's slow lists always leave connections to the others,
whose requests then never queue behind them. A scan (a summary_search no text index answers)
reads every conversation of the organization and holds a core while it does: held to fewer
(one, by default), one organization's scans leave the other cores to everyone's requests
rather than making each of them wait for a core (bench/isolation.py measures it).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class _Share:
    __slots__ = ("slots", "users")

    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.users = 0


class OrganizationShares:
    """At most `limit` holders at once per organization; the others wait their turn."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        # Only organizations with a holder or a waiter: idle ones take no memory.
        self._shares: dict[str, _Share] = {}

    @asynccontextmanager
    async def of(self, organization_id: str) -> AsyncIterator[None]:
        share = self._shares.get(organization_id)
        if share is None:
            share = self._shares[organization_id] = _Share(self._limit)
        share.users += 1
        try:
            async with share.slots:
                yield
        finally:
            share.users -= 1
            if not share.users:
                del self._shares[organization_id]
