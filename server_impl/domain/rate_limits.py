"""Per-key rate limits: a sustained rate and a burst, kept in the database and shared by every
process and replica serving it, without a write per request.

The rule is GCRA (the generic cell rate algorithm), a token bucket written as one number per
key: ``tat``, the time at which the key's allowance would be full again were nothing taken
(0, or any time already past, means full now). A key of rate R per second and burst B holds up
to B requests; each takes 1/R seconds of allowance, which refills at R per second.

Processes do not ask the database per request. Each leases a slice of a key's allowance,
``lease_size`` requests (what the key may send in LEASE_S at its rate, at least 1, at most its
burst), in one short transaction that takes those requests out of the shared allowance, then
spends them locally. So a key gets, over any window of W seconds, at most
``B + R·W + P·L`` requests across P processes with leases of L: the bucket itself never gives
more than ``B + R·W``, and at most L requests were leased but unspent in each process as the
window began. Leases are taken from the database, so a restart loses what a process held
(never grants it twice): a restarted server finds the key's allowance as it was left.

A refused lease is remembered by the process until the time at which a whole lease will be
there, so that a key over its rate costs the database one write per lease interval per
process, not one per refused request. While the database cannot be written (read-only, or
unreachable) each process limits the key on its own, so that reads go on: then a key gets up
to P times its rate across P processes.
"""

import asyncio
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import StorageUnavailable
from .ports import AllowanceStore, KeyLimit

LEASE_S = 0.1
"""How much of a key's rate one process leases at once, in seconds of it."""
MAX_RATE_PER_S = 100_000.0
MAX_BURST = 1_000_000
_SLACK_S = 1e-6
"""Times are seconds since the epoch as floats, exact to about a microsecond: an allowance
within a microsecond of a whole request counts it (a tenth of a request at MAX_RATE_PER_S)."""

_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|min|minute))?\s*")
_SECONDS_PER = {None: 1.0, "s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0}


def wall_clock() -> float:
    """Seconds since the epoch: what every process and replica reads alike."""
    return time.time()


class InvalidLimit(ValueError):
    """A rate or burst that breaks the rules; the message says how."""


def parse_rate(text: str) -> float:
    """Requests per second from ``N``, ``N/s`` or ``N/min`` (N a decimal number above 0)."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise InvalidLimit(f"{text!r} is not a rate: write N/s or N/min, such as 100/s or 30/min")
    per_s = float(match[1]) / _SECONDS_PER[match[2]]
    if not 0 < per_s <= MAX_RATE_PER_S:
        raise InvalidLimit(
            f"a rate is above 0 and at most {MAX_RATE_PER_S:,.0f}/s, not {text.strip()}"
        )
    return per_s


def limit(rate_per_s: float, burst: int) -> KeyLimit:
    """A limit, checked: a rate above 0 and at most MAX_RATE_PER_S, a burst from 1 to
    MAX_BURST."""
    if not (math.isfinite(rate_per_s) and 0 < rate_per_s <= MAX_RATE_PER_S):
        raise InvalidLimit(f"a rate is above 0 and at most {MAX_RATE_PER_S:,.0f}/s")
    if not 1 <= burst <= MAX_BURST:
        raise InvalidLimit(f"a burst is from 1 to {MAX_BURST:,}, not {burst}")
    return KeyLimit(rate_per_s=rate_per_s, burst=burst)


def shown(rate_per_s: float) -> str:
    """A rate as parse_rate reads it back: per second, or per minute below one per second."""
    if rate_per_s >= 1:
        return f"{rate_per_s:g}/s"
    return f"{rate_per_s * 60:g}/min"


def lease_size(key_limit: KeyLimit, lease_s: float = LEASE_S) -> int:
    """How many requests a process leases at once: LEASE_S of the rate, from 1 to the burst."""
    return max(1, min(key_limit.burst, math.ceil(key_limit.rate_per_s * lease_s)))


def refill_s(key_limit: KeyLimit) -> float:
    """Seconds in which an empty allowance refills to the whole burst."""
    return key_limit.burst / key_limit.rate_per_s


@dataclass(frozen=True)
class Grant:
    """What the shared allowance gave one lease."""

    granted: int
    """Requests taken from the allowance: from 0 to those asked for."""
    tat: float
    """The allowance's new state."""
    ready_at: float
    """When as many requests as were asked for are there (now, unless granted is 0)."""
    remaining: int
    """Requests left in the allowance after this grant."""


def grant(key_limit: KeyLimit, tat: float, now: float, want: int) -> Grant:
    """Takes up to want requests out of an allowance whose state is tat, at now."""
    interval = 1 / key_limit.rate_per_s
    base = max(tat, now)
    whole = math.floor(key_limit.burst - (base - now - _SLACK_S) / interval)
    granted = max(0, min(want, whole))
    new_tat = base + granted * interval
    ready_at = now if granted else base - (key_limit.burst - want) * interval
    remaining = max(0, whole - granted)
    return Grant(granted=granted, tat=new_tat, ready_at=ready_at, remaining=remaining)


@dataclass(frozen=True)
class Refusal:
    """A request over its key's rate: nothing of it was done."""

    limit: KeyLimit
    retry_after_s: int
    """Whole seconds, rounded up, after which the key's next request is served."""


@dataclass
class _Held:
    """One process's lease of one key's allowance."""

    tokens: int = 0
    ready_at: float = 0.0
    """While refused: when to ask the database again."""
    own_tat: float = 0.0
    """The key's allowance in this process alone, for while the database cannot be written."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class KeyRateLimiter:
    """Checks each request of a key against its limit (the key's own, else default), spending
    this process's lease and leasing more from the store when it runs out."""

    def __init__(
        self,
        store: AllowanceStore,
        default: KeyLimit | None,
        *,
        clock: Callable[[], float] | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        self.store = store
        self.default = default
        self.clock = clock or wall_clock
        self.lease_s = lease_s
        self._held: dict[str, _Held] = {}

    def spent(self, key_id: str, own: KeyLimit | None) -> bool:
        """True if the request may go on at once, counted: its key has no limit, or this
        process holds a leased request of it, now spent. False: check() decides. Every request
        takes this path but one a lease: no coroutine is made for it (bench/results.md)."""
        if own is None and self.default is None:
            return True
        held = self._held.get(key_id)
        if held is not None and held.tokens > 0:
            held.tokens -= 1
            return True
        return False

    async def check(self, key_id: str, own: KeyLimit | None) -> Refusal | None:
        """None if the request may go on (it is counted), else why not and for how long."""
        if self.spent(key_id, own):  # no await between the check and the spending
            return None
        key_limit = own or self.default
        assert key_limit is not None, "spent() lets a key without a limit through"
        held = self._held.setdefault(key_id, _Held())
        async with held.lock:  # one lease at a time per key; others wait for its outcome
            if held.tokens > 0:
                held.tokens -= 1
                return None
            now = self.clock()
            if now < held.ready_at:
                return Refusal(key_limit, math.ceil(held.ready_at - now))
            want = lease_size(key_limit, self.lease_s)
            outcome: list[Grant] = []

            def take(tat: float) -> float:
                outcome.append(grant(key_limit, tat, now, want))
                return outcome[-1].tat

            try:
                await self.store.lease_allowance(key_id, take)
                leased = outcome[-1]
            except StorageUnavailable:
                # Reads go on while the database cannot be written (read-only, or its write
                # lock held): the process limits the key on its own meanwhile.
                leased = grant(key_limit, held.own_tat, now, want)
                held.own_tat = leased.tat
            if leased.granted == 0:
                held.ready_at = leased.ready_at
                return Refusal(key_limit, max(1, math.ceil(leased.ready_at - now)))
            held.tokens = leased.granted - 1
            return None
