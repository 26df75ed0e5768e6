"""The ports a test run hands out: a block for each worker, and a second run beside the first
on blocks of its own."""

import itertools

import pytest

import testbed


def _blocks(monkeypatch: pytest.MonkeyPatch, first: str | None, *workers: int) -> list[set[int]]:
    """The ports each of workers hands out in a run whose first block is first (None: unset)."""
    if first is None:
        monkeypatch.delenv(testbed.PORT_BLOCK, raising=False)
    else:
        monkeypatch.setenv(testbed.PORT_BLOCK, first)
    found = []
    for worker in workers:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        found.append(set(itertools.islice(testbed._port_candidates(), 1_000)))
    return found


def test_each_worker_hands_out_ports_of_its_own_block(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _blocks(monkeypatch, None, 0, 1) == [
        set(range(10_000, 11_000)),
        set(range(11_000, 12_000)),
    ]


def test_a_run_beside_another_starts_its_workers_at_the_block_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _blocks(monkeypatch, "11", 0, 1) == [
        set(range(21_000, 22_000)),
        set(range(22_000, 23_000)),
    ]
    # Past the last block it wraps to the first, never reaching the ephemeral range (32768).
    assert _blocks(monkeypatch, "11", 10, 11) == [
        set(range(31_000, 32_000)),
        set(range(10_000, 11_000)),
    ]
