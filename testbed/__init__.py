"""What the tests and the benchmark both need to stand a system up: free ports, and throwaway
PostgreSQL clusters. Not part of the service."""

import itertools
import os
import random
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Ports handed out below the kernel's ephemeral range (32768 and up on Linux), so that no
# outgoing connection takes one between its check and its use; each pytest-xdist worker (gw0,
# gw1, ...) has a block of its own, so that two workers never hand out the same port. A second
# run beside the first (make test runs the newest SDK's suite so) starts its workers at the
# block that CONVERSATIONS_TEST_PORT_BLOCK names: two runs of up to 11 workers each never meet.
_PORTS_FROM = 10_000
_PORTS_PER_WORKER = 1_000
_WORKERS = 22
PORT_BLOCK = "CONVERSATIONS_TEST_PORT_BLOCK"


def _port_candidates() -> "itertools.cycle[int]":
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first_block = int(os.environ.get(PORT_BLOCK, "0"))
    block = (first_block + (int(worker) if worker.isdigit() else 0)) % _WORKERS
    first = _PORTS_FROM + block * _PORTS_PER_WORKER
    ports = list(range(first, first + _PORTS_PER_WORKER))
    # A random start, so that two runs side by side (two checkouts) seldom meet.
    start = random.randrange(len(ports))
    return itertools.cycle(ports[start:] + ports[:start])


_candidates = _port_candidates()


def children(pid: int) -> list[int]:
    """The processes whose parent is pid (a server's workers), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def free_port() -> int:
    """A loopback port that nothing listens on, from this worker's block."""
    for _ in range(_PORTS_PER_WORKER):
        port = next(_candidates)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port among {_PORTS_PER_WORKER} tried")
