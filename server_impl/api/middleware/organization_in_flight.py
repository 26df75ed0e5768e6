"""A cap on each organization's requests in flight (429 past it).

Per process, not shared: what one organization's slow requests can take from the others is a
process's capacity (its connections, its event loop, its database connections), so the cap
bounds each process's share; with N processes an organization holds at most N times it. A count
shared through the database would cost two writes a request and be left too high by a process
that dies mid-request. The same shape as storage/shares.py's list pages, which wait their turn
instead: only organizations with a request in flight take memory.
"""

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api.connexion_adaptations.bearer import token_info
from server_impl.api.problems import OrganizationBusy

LOG = logging.getLogger("conversations.limits")
REASON = "organization_in_flight"
"""The reason a refusal is counted under in the metrics."""


class OrganizationInFlight:
    """Past ``limit`` requests of one organization in flight, the next is answered 429 with
    Retry-After before it is validated or served. Behind connexion's security, which names the
    acting user's organization; the open operations (health) are not counted."""

    def __init__(
        self, app: ASGIApp, *, limit: int, refused: Callable[[str], None] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.refused = refused
        self._in_flight: dict[str, int] = {}
        # Organizations refused since they last had nothing in flight: one log line each time an
        # organization reaches the cap, not one per refusal (the access line has those).
        self._at_cap: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        info = token_info(scope.get("extensions", {}))
        if not info:
            await self.app(scope, receive, send)
            return
        organization: str = info["actor"].organization_id
        in_flight = self._in_flight.get(organization, 0)
        if in_flight >= self.limit:
            if self.refused:
                self.refused(REASON)
            if organization not in self._at_cap:
                self._at_cap.add(organization)
                LOG.warning(
                    "Organization %s has %d requests in flight, its cap: refusing more with 429",
                    organization,
                    in_flight,
                )
            raise OrganizationBusy(self.limit)
        self._in_flight[organization] = in_flight + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = self._in_flight[organization] - 1
            if left:
                self._in_flight[organization] = left
            else:
                del self._in_flight[organization]
                if self._at_cap:
                    self._at_cap.discard(organization)

    def in_flight(self, organization: str) -> int:
        """The organization's requests being served now."""
        return self._in_flight.get(organization, 0)
