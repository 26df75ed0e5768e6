"""The per-key rate limit (server_impl/domain/rate_limits.py): the GCRA rule alone, then the
limiter that leases slices of a key's shared allowance, on the in-memory store with a fake
clock."""

import asyncio
import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server_impl.domain import keys
from server_impl.domain.errors import StorageUnavailable
from server_impl.domain.ports import KeyLimit
from server_impl.domain.rate_limits import (
    InvalidLimit,
    KeyRateLimiter,
    Refusal,
    grant,
    lease_size,
    limit,
    parse_rate,
    shown,
)
from tests.domain.fake_store import FakeStore

T0 = 1_767_225_600.0
TEN_PER_S = KeyLimit(rate_per_s=10.0, burst=5)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingStore(FakeStore):
    """Counts the leases (each a write on an engine)."""

    def __init__(self) -> None:
        super().__init__()
        self.leases = 0

    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        self.leases += 1
        await super().lease_allowance(key_id, take)


def test_a_full_allowance_grants_the_burst_then_one_request_per_interval() -> None:
    first = grant(TEN_PER_S, 0.0, T0, 5)
    assert (first.granted, first.remaining) == (5, 0)
    refused = grant(TEN_PER_S, first.tat, T0, 1)
    assert refused.granted == 0
    assert refused.ready_at == pytest.approx(T0 + 0.1)
    later = grant(TEN_PER_S, first.tat, T0 + 0.1, 1)
    assert later.granted == 1


def test_a_partial_grant_gives_what_is_there_and_a_refusal_says_when_all_asked_for_is() -> None:
    used = grant(TEN_PER_S, 0.0, T0, 4).tat  # one left
    partial = grant(TEN_PER_S, used, T0, 3)
    assert (partial.granted, partial.remaining) == (1, 0)
    refused = grant(TEN_PER_S, partial.tat, T0, 3)
    assert refused.granted == 0
    assert refused.ready_at == pytest.approx(T0 + 0.3)


def test_an_allowance_left_alone_refills_to_the_burst_and_no_further() -> None:
    emptied = grant(TEN_PER_S, 0.0, T0, 5).tat
    refilled = grant(TEN_PER_S, emptied, T0 + 60, 100)
    assert refilled.granted == 5


@given(
    rate=st.floats(min_value=0.01, max_value=10_000),
    burst=st.integers(min_value=1, max_value=500),
    steps=st.lists(
        st.tuples(st.floats(min_value=0, max_value=5), st.integers(min_value=1, max_value=50)),
        max_size=40,
    ),
)
def test_no_sequence_of_leases_takes_more_than_the_burst_and_the_rate_allow(
    rate: float, burst: int, steps: list[tuple[float, int]]
) -> None:
    key_limit = KeyLimit(rate_per_s=rate, burst=burst)
    tat, now, taken = 0.0, T0, 0
    for wait, want in steps:
        now += wait
        outcome = grant(key_limit, tat, now, want)
        assert 0 <= outcome.granted <= want
        if outcome.granted == 0:
            assert outcome.ready_at > now
            assert grant(key_limit, tat, outcome.ready_at + 1e-6, want).granted == min(want, burst)
        tat, taken = outcome.tat, taken + outcome.granted
    assert taken <= burst + rate * (now - T0) + 1e-6


def test_rates_read_per_second_or_per_minute_and_refuse_anything_else() -> None:
    assert parse_rate("100/s") == 100
    assert parse_rate("30/min") == 0.5
    assert parse_rate("2.5") == 2.5
    assert shown(0.5) == "30/min" and shown(100.0) == "100/s"
    for wrong in ("0/s", "-1/s", "fast", "10/h", "1/s/s", "", "200000/s"):
        with pytest.raises(InvalidLimit):
            parse_rate(wrong)
    with pytest.raises(InvalidLimit, match="burst"):
        limit(1.0, 0)
    with pytest.raises(InvalidLimit):
        limit(math.inf, 1)


def test_a_lease_is_a_tenth_of_a_second_of_the_rate_from_one_to_the_burst() -> None:
    assert lease_size(KeyLimit(rate_per_s=10_000, burst=20_000)) == 1000
    assert lease_size(KeyLimit(rate_per_s=10_000, burst=50)) == 50
    assert lease_size(KeyLimit(rate_per_s=0.5, burst=3)) == 1


def check(limiter: KeyRateLimiter, key_id: str, own: KeyLimit | None = None) -> Refusal | None:
    return asyncio.run(limiter.check(key_id, own))


def test_a_key_over_its_rate_is_refused_until_retry_after_then_served() -> None:
    store, clock = FakeStore(), Clock()
    limiter = KeyRateLimiter(store, KeyLimit(rate_per_s=0.5, burst=2), clock=clock)
    assert check(limiter, "k1") is None
    assert check(limiter, "k1") is None
    refusal = check(limiter, "k1")
    assert refusal is not None and refusal.retry_after_s == 2
    clock.now += 1.9
    assert check(limiter, "k1") is not None
    clock.now = T0 + refusal.retry_after_s
    assert check(limiter, "k1") is None


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    limiter = KeyRateLimiter(FakeStore(), KeyLimit(rate_per_s=0.4, burst=1), clock=Clock())
    assert check(limiter, "k1") is None
    refusal = check(limiter, "k1")
    assert refusal is not None and refusal.retry_after_s == 3  # 2.5 s


def test_keys_are_limited_apart_and_a_keys_own_limit_overrides_the_default() -> None:
    limiter = KeyRateLimiter(FakeStore(), KeyLimit(rate_per_s=1, burst=1), clock=Clock())
    assert check(limiter, "k1") is None
    assert check(limiter, "k1") is not None
    assert check(limiter, "k2") is None
    generous = KeyLimit(rate_per_s=1, burst=3)
    assert [check(limiter, "k3", generous) for _ in range(4)][2:] == [
        None,
        Refusal(generous, 1),
    ]


def test_without_a_default_only_keys_with_their_own_limit_are_limited() -> None:
    store = CountingStore()
    limiter = KeyRateLimiter(store, None, clock=Clock())
    assert all(check(limiter, "k1") is None for _ in range(100))
    assert store.leases == 0
    assert check(limiter, "k2", KeyLimit(rate_per_s=1, burst=1)) is None
    assert check(limiter, "k2", KeyLimit(rate_per_s=1, burst=1)) is not None


def test_a_process_writes_once_per_lease_not_once_per_request() -> None:
    store, clock = CountingStore(), Clock()
    limiter = KeyRateLimiter(store, KeyLimit(rate_per_s=10_000, burst=20_000), clock=clock)
    for _ in range(5000):
        assert check(limiter, "k1") is None
    assert store.leases == 5


def test_a_refused_key_asks_the_store_again_only_once_a_lease_is_there() -> None:
    store, clock = CountingStore(), Clock()
    limiter = KeyRateLimiter(store, KeyLimit(rate_per_s=100, burst=10), clock=clock)
    served = sum(check(limiter, "k1") is None for _ in range(1000))
    assert served == 10
    assert store.leases == 2  # the burst, then one refusal remembered
    clock.now += 0.1
    assert sum(check(limiter, "k1") is None for _ in range(1000)) == 10


def test_processes_sharing_one_allowance_grant_no_more_than_burst_rate_and_their_leases() -> None:
    store, clock = FakeStore(), Clock()
    key_limit = KeyLimit(rate_per_s=200, burst=50)
    processes = [KeyRateLimiter(store, key_limit, clock=clock) for _ in range(3)]
    served = 0
    for tick in range(1000):  # 10 s, a request to each process every 10 ms, 3x the rate
        clock.now = T0 + tick / 100
        for process in processes:
            for _ in range(2):
                served += check(process, "k1") is None
    bound = key_limit.burst + key_limit.rate_per_s * 10
    assert bound * 0.95 <= served <= bound + len(processes) * lease_size(key_limit)


def test_a_restarted_process_finds_the_allowance_as_left_and_bursts_no_second_time() -> None:
    store, clock = FakeStore(), Clock()
    key_limit = KeyLimit(rate_per_s=1, burst=10)
    before = KeyRateLimiter(store, key_limit, clock=clock)
    assert sum(check(before, "k1") is None for _ in range(20)) == 10
    after = KeyRateLimiter(store, key_limit, clock=clock)
    assert check(after, "k1") is not None


def test_a_request_within_the_processs_lease_is_spent_at_once_and_the_rest_left_to_check() -> None:
    store = CountingStore()
    limiter = KeyRateLimiter(store, KeyLimit(rate_per_s=100, burst=100), clock=Clock())
    assert limiter.spent("k1", None) is False  # nothing leased yet: check() leases
    assert check(limiter, "k1") is None  # a lease of 10, this request one of them
    assert [limiter.spent("k1", None) for _ in range(10)] == [True] * 9 + [False]
    assert check(limiter, "k1") is None
    assert store.leases == 2
    assert limiter.spent("k2", KeyLimit(rate_per_s=1, burst=1)) is False
    unlimited = KeyRateLimiter(store, None, clock=Clock())
    assert all(unlimited.spent("k1", None) for _ in range(100))
    assert store.leases == 2


def test_concurrent_requests_of_one_key_share_one_lease() -> None:
    store = CountingStore()
    limiter = KeyRateLimiter(store, KeyLimit(rate_per_s=100, burst=100), clock=Clock())

    async def burst() -> list[Refusal | None]:
        return await asyncio.gather(*(limiter.check("k1", None) for _ in range(10)))

    assert asyncio.run(burst()) == [None] * 10
    assert store.leases == 1


def test_a_key_minted_with_a_limit_authenticates_with_it_and_set_limit_changes_it() -> None:
    store = FakeStore()
    own = KeyLimit(rate_per_s=2, burst=4)
    minted = asyncio.run(keys.mint(store, organization="acme", user="alice", limit=own))
    outcome = asyncio.run(keys.authenticate(store, minted.key))
    assert isinstance(outcome, keys.Authenticated) and outcome.limit == own
    assert asyncio.run(keys.set_limit(store, minted.key_id, None)) is True
    assert asyncio.run(keys.set_limit(store, "0123456789abcdef", own)) is False
    outcome = asyncio.run(keys.authenticate(store, minted.key))
    assert isinstance(outcome, keys.Authenticated) and outcome.limit is None


class UnwritableStore(FakeStore):
    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        raise StorageUnavailable("attempt to write a readonly database")


def test_while_the_store_cannot_be_written_each_process_limits_the_key_on_its_own() -> None:
    clock = Clock()
    limiter = KeyRateLimiter(UnwritableStore(), KeyLimit(rate_per_s=1, burst=2), clock=clock)
    assert [check(limiter, "k1") for _ in range(2)] == [None, None]
    refusal = check(limiter, "k1")
    assert refusal is not None and refusal.retry_after_s == 1
    clock.now += 1
    assert check(limiter, "k1") is None
