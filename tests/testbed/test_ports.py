"""The ports a test run hands out: a block for each worker, and a second run beside the first
on blocks of its own."""

import itertools

import pytest

import testbed


def _block_of(candidates: "itertools.cycle[int]") -> set[int]:
    return set(itertools.islice(candidates, 1_000))


def test_each_worker_hands_out_ports_of_its_own_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(testbed.PORT_BLOCK, raising=False)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = _block_of(testbed._port_candidates())
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = _block_of(testbed._port_candidates())
    assert first == set(range(10_000, 11_000))
    assert second == set(range(11_000, 12_000))


def test_a_run_beside_another_starts_its_workers_at_the_block_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(testbed.PORT_BLOCK, "11")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = _block_of(testbed._port_candidates())
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = _block_of(testbed._port_candidates())
    assert first == set(range(21_000, 22_000))
    assert second == set(range(22_000, 23_000))
    # Past the last block it wraps to the first, never reaching the ephemeral range (32768).
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw10")
    assert _block_of(testbed._port_candidates()) == set(range(31_000, 32_000))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw11")
    assert _block_of(testbed._port_candidates()) == set(range(10_000, 11_000))
