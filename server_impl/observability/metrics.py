"""The server's Prometheus metrics (prometheus-client), per process or shared by the workers of
`serve --workers N` (prometheus-client's multiprocess mode).

Metrics are made per app (`Metrics`), each on its own registry, so that apps made side by side
(tests) count apart. With several workers, each writes its figures to files in the folder named
by PROMETHEUS_MULTIPROC_DIR, which `serve` makes for the run, and a scrape of any worker (or of
the arbiter's --metrics-port listener) reads them all.
"""

import os
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# A *_created series per counter and histogram doubles the exposition for a figure Prometheus
# does not need.
disable_created_metrics()  # type: ignore[no-untyped-call]
CONTENT_TYPE = CONTENT_TYPE_LATEST
# From 1 ms to 10 s: a retrieve takes about 1 ms here, the database's statement timeout is 5 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def shared() -> bool:
    """Whether this process's figures are shared with other workers' (multiprocess mode)."""
    return MULTIPROCESS_DIR in os.environ


class Metrics:
    def __init__(self, *, version: str, spec_version: str) -> None:
        # prometheus-client picks per-process or shared values when first imported, and the
        # arbiter of `serve --workers N` may import it before it names the shared folder:
        # each process picks again before it makes its metrics
        # (tests/observability/test_metrics.py, tests/ops/test_operability.py).
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        # Shared figures are read from the folder at each scrape, not from a registry.
        self.registry = None if shared() else CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "conversations_requests",
            "Requests answered, by operationId (unmatched: no operation; refused: refused by the"
            " HTTP server before any operation, as unparsable, too large or over the connection"
            " limit) and status.",
            ["operation", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "conversations_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by operationId.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "conversations_requests_in_flight",
            "Requests being served now (a scrape counts itself).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.authentication_failures = Counter(
            "conversations_authentication_failures",
            "Requests refused for their API key, by reason: missing, malformed, unknown,"
            " revoked, wrong_secret, ambiguous (more than one Authorization header).",
            ["reason"],
            registry=registry,
        )
        self.database_unavailable = Counter(
            "conversations_database_unavailable",
            "Requests answered 503 because the database could not answer.",
            registry=registry,
        )
        self.pool_connections = Gauge(
            "conversations_database_pool_connections",
            "Connections of the PostgreSQL pool: open, and in use by a request.",
            ["state"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.build = Gauge(
            "conversations_build_info",
            "Always 1: the server's version and the version of the spec it serves.",
            ["version", "spec_version"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.build.labels(version=version, spec_version=spec_version).set(1)
        # Labelled children, looked up once: labels() costs more than the count itself.
        self._counted: dict[tuple[str, int], Any] = {}
        self._timed: dict[str, Any] = {}

    def observe_request(self, operation: str, status: int, seconds: float) -> None:
        counted = self._counted.get((operation, status))
        if counted is None:
            counted = self._counted[operation, status] = self.requests.labels(operation, status)
        counted.inc()
        timed = self._timed.get(operation)
        if timed is None:
            timed = self._timed[operation] = self.latency.labels(operation)
        timed.observe(seconds)

    def refused(self, reason: str) -> None:
        """Counts a request refused for its API key."""
        self.authentication_failures.labels(reason).inc()

    def observe_pool(self, use: tuple[int, int]) -> None:
        self.pool_connections.labels("open").set(use[0])
        self.pool_connections.labels("in_use").set(use[1])

    def exposition(self) -> bytes:
        """Every figure in Prometheus' text format: this process's, or every worker's."""
        return exposition(self.registry)


def shared_registry() -> CollectorRegistry:
    """A registry that reads every worker's shared files at each scrape."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def exposition(registry: CollectorRegistry | None = None) -> bytes:
    """Prometheus' text format of registry, or, without one, of every worker's shared files."""
    return generate_latest(registry or shared_registry())


def worker_exited(pid: int) -> None:
    """Drops a dead worker's live gauges (in flight, pool) from the shared figures, if any."""
    if shared():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


PoolReader = Callable[[], tuple[int, int] | None]
"""(connections open, in use) of the database pool, or None without one."""
