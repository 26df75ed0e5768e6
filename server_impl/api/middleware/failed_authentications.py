"""A limit on requests answered 401 per client address (429 past it, before any key is read).

The client is the peer, or the address a trusted proxy names (ForwardedClient, outside this);
IPv6 clients are counted by their /64, the block one host is usually given, so that a client
cannot start afresh from each of its addresses. Per process, in a map of at most
TRACKED_ADDRESSES addresses: a flood of bad keys is cut down where it lands, without a database
write per failure (which the flood would then cost).
"""

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from functools import lru_cache
from ipaddress import IPv6Address, ip_address, ip_network

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.api import problems
from server_impl.api.problems import UNAUTHORIZED

LOG = logging.getLogger("conversations.limits")
REASON = "unauthenticated"
"""The reason a refusal is counted under in the metrics."""
TRACKED_ADDRESSES = 10_000
"""The most addresses remembered per process (0.9 MB full, bench/results.md); past it the
address that failed least recently is forgotten, as are addresses whose budget is whole
again."""


@lru_cache(maxsize=1024)
def client_of(host: str) -> str:
    """The address a failure is counted against: an IPv4 address (also one mapped into IPv6)
    as it is, an IPv6 address by its /64, anything else (a Unix socket's name) as it is."""
    if ":" not in host:
        return host
    try:
        address = ip_address(host)
    except ValueError:
        return host
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ip_network(f"{address}/64", strict=False))
    return host


class FailureBudget:
    """Per address, a bucket of ``per_minute`` failures refilled one every 60/per_minute
    seconds (GCRA: each address keeps the time its bucket would be full again, ``full_at``)."""

    def __init__(
        self,
        per_minute: int,
        *,
        tracked: int = TRACKED_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute
        # A failure is allowed while its bucket lacks fewer than per_minute failures' worth.
        self.allowance = (per_minute - 1) * self.interval
        self.tracked = tracked
        self.clock = clock
        # Oldest failure first: the first to forget. Empty, no request need look itself up.
        self.failing: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self.failing)

    def wait_s(self, client: str) -> float:
        """Seconds before the client may fail again; 0 if it may now."""
        full_at = self.failing.get(client)
        if full_at is None:
            return 0.0
        return max(0.0, full_at - self.clock() - self.allowance)

    def failed(self, client: str) -> bool:
        """Counts a failure of the client; True if it used the last of the client's budget."""
        now = self.clock()
        full_at = self.failing.pop(client, now)
        self.failing[client] = full_at = max(full_at, now) + self.interval
        while len(self.failing) > self.tracked:
            self.failing.popitem(last=False)
        # The oldest entry whose bucket is whole again says nothing: forget it (one per failure
        # keeps the map to the addresses that failed lately without a sweep).
        oldest, at = next(iter(self.failing.items()))
        if at <= now:
            del self.failing[oldest]
        return full_at - now > self.allowance


class FailedAuthentications:
    """Counts each answer 401 against its client's budget; while the budget is spent, answers
    the client's requests 429 with Retry-After before they reach connexion (no key is read).
    The paths in ``open_paths`` (the health probes, which take no key) are always served."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        budget: FailureBudget,
        open_paths: Collection[str] = (),
        refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.budget = budget
        self.open_paths = frozenset(open_paths)
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] != "http" or not peer or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        budget = self.budget
        if budget.failing and (wait_s := budget.wait_s(client_of(peer[0]))):
            if self.refused:
                self.refused(REASON)
            refusal = problems.TooManyFailedAuthentications(math.ceil(wait_s))
            await problems.response(refusal)(scope, receive, send)
            return
        # Made before connexion runs, so that the dict its 401 marks is this one.
        extensions = scope.setdefault("extensions", {})
        await self.app(scope, receive, send)
        if UNAUTHORIZED in extensions and budget.failed(client := client_of(peer[0])):
            LOG.warning(
                "Client %s has used its %d failed authentications a minute: refusing its"
                " requests with 429",
                client,
                round(60 / budget.interval),
            )
