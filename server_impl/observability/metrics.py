"""The server's Prometheus metrics (prometheus-client), per process or shared by the workers of
`serve --workers N` (prometheus-client's multiprocess mode).

Metrics are made per app (`Metrics`), each on its own registry, so that apps made side by side
(tests) count apart. With several workers, each writes its figures to files in the folder named
by PROMETHEUS_MULTIPROC_DIR, which `serve` makes for the run, and a scrape of any worker (or of
the arbiter's --metrics-port listener) reads them all.

Each request is counted, timed and seen in flight. In one process those figures are plain
numbers, read by the registry at each scrape (`RequestFigures`, a custom collector): the same
series as prometheus-client's Counter, Histogram and Gauge would give, without their lock and
checks on every value, which cost a request more than its access line. With several workers
they are prometheus-client's own metrics, whose values are the shared files.
"""

import os
from bisect import bisect_left
from collections.abc import Callable, Iterator
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
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
RELIED_ON: list[tuple[str, str]] = [("prometheus_client.values", "ValueClass")]
"""Reassigned by Metrics: prometheus-client picks it when first imported."""
UPSTREAM: dict[str, tuple[str, str]] = {
    # What picks ValueClass and what reads it when a metric is made: (release checked
    # against, testbed.upstream fingerprint). Fenced by tests/observability/test_metrics.py.
    "prometheus_client.values.get_value_class": ("0.26.0", "7de1718faa6e"),
    "prometheus_client.metrics.Counter._metric_init": ("0.26.0", "29ff4c06f0fb"),
    "prometheus_client.metrics.Gauge._metric_init": ("0.26.0", "3435d7ae79cc"),
    "prometheus_client.metrics.Histogram._metric_init": ("0.26.0", "f8b221e8fc52"),
}
# A *_created series per counter and histogram doubles the exposition for a figure Prometheus
# does not need.
disable_created_metrics()  # type: ignore[no-untyped-call]
CONTENT_TYPE = CONTENT_TYPE_LATEST
# From 1 ms to 10 s: a retrieve takes about 1 ms here, the database's statement timeout is 5 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The bounds as Histogram writes them in `le` (tests/observability/test_metrics.py).
_LE = [*(repr(bound) for bound in LATENCY_BUCKETS), "+Inf"]
REQUESTS = (
    "conversations_requests",
    "Requests answered, by operationId (unmatched: no operation; refused: refused by the HTTP"
    " server before any operation, as unparsable, too large or over the connection limit) and"
    " status.",
)
LATENCY = (
    "conversations_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by operationId.",
)
IN_FLIGHT = (
    "conversations_requests_in_flight",
    "Requests being served now (a scrape counts itself).",
)


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
        self.started: Callable[[], None]
        self.finished: Callable[[str, int, float], None]
        """Called as each request arrives, and once it is answered."""
        if registry is None:
            self._shared_requests()
        else:
            figures = RequestFigures()
            registry.register(figures)
            self.started = figures.started
            self.finished = figures.finished
        self.authentication_failures = Counter(
            "conversations_authentication_failures",
            "Requests refused for their API key, by reason: missing, malformed, unknown,"
            " revoked, wrong_secret, ambiguous (more than one Authorization header).",
            ["reason"],
            registry=registry,
        )
        self.requests_limited = Counter(
            "conversations_requests_limited",
            "Requests refused 429 by a limit, by reason: key_rate (an API key over its rate"
            " limit), organization_in_flight (the acting organization's requests in flight in"
            " one process), unauthenticated (the client's address had too many requests"
            " answered 401 lately). Never by key or address.",
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
        self._pool: tuple[PoolReader, Any, Any] | None = None

    def _shared_requests(self) -> None:
        """Requests counted, timed and in flight in the workers' shared files."""
        requests = Counter(*REQUESTS, ["operation", "status"], registry=None)
        latency = Histogram(*LATENCY, ["operation"], buckets=LATENCY_BUCKETS, registry=None)
        in_flight = Gauge(*IN_FLIGHT, registry=None, multiprocess_mode="livesum")
        # Labelled children, looked up once: labels() costs more than the count itself.
        counted: dict[tuple[str, int], Any] = {}
        timed: dict[str, Any] = {}

        def finished(operation: str, status: int, seconds: float) -> None:
            in_flight.dec()
            child = counted.get((operation, status))
            if child is None:
                child = counted[operation, status] = requests.labels(operation, status)
            child.inc()
            child = timed.get(operation)
            if child is None:
                child = timed[operation] = latency.labels(operation)
            child.observe(seconds)
            if self._pool is not None and (use := self._pool[0]()) is not None:
                self._pool[1].set(use[0])
                self._pool[2].set(use[1])

        self.started = in_flight.inc
        self.finished = finished

    def refused(self, reason: str) -> None:
        """Counts a request refused for its API key."""
        self.authentication_failures.labels(reason).inc()

    def limited(self, reason: str) -> None:
        """Counts a request refused 429 by a limit."""
        self.requests_limited.labels(reason).inc()

    def measure_pool(self, pool: "PoolReader") -> None:
        """The database pool's connections, as pool reads them: in one process at each
        scrape (0 before the pool opens); with several workers after each request, into the
        files a scrape reads."""
        opened = self.pool_connections.labels("open")
        in_use = self.pool_connections.labels("in_use")
        if shared():
            self._pool = (pool, opened, in_use)
        else:
            opened.set_function(lambda: (pool() or (0, 0))[0])
            in_use.set_function(lambda: (pool() or (0, 0))[1])

    def exposition(self) -> bytes:
        """Every figure in Prometheus' text format: this process's, or every worker's."""
        return exposition(self.registry)


class RequestFigures(Collector):
    """Requests answered, their latency and those in flight, of one process: counted in plain
    numbers by the thread that serves them (the event loop's), read at each scrape as the
    series prometheus-client's Counter, Histogram and Gauge of the same name would give
    (tests/observability/test_metrics.py)."""

    def __init__(self) -> None:
        self.in_flight = 0
        # By operation and status, in the order first answered: the count of each latency
        # bucket alone (+Inf's last), then the sum of latencies. Requests counted are the
        # buckets' total; an operation's histogram sums its statuses' rows.
        self.rows: dict[tuple[str, int], list[float]] = {}

    def started(self) -> None:
        self.in_flight += 1

    def finished(self, operation: str, status: int, seconds: float) -> None:
        self.in_flight -= 1
        row = self.rows.get((operation, status))
        if row is None:
            row = self.rows[operation, status] = [0.0] * (len(_LE) + 1)
        # The first bucket whose bound is at least seconds: Prometheus' le.
        row[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        row[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        # A scrape may run in another thread (--metrics-port): list() copies the rows at once
        # under the GIL, without Python code that could let the loop add one mid-way.
        rows = list(self.rows.items())
        requests = CounterMetricFamily(*REQUESTS, labels=["operation", "status"])
        timed: dict[str, list[float]] = {}
        for (operation, status), row in rows:
            requests.add_metric([operation, str(status)], sum(row[:-1]))
            summed = timed.setdefault(operation, [0.0] * len(row))
            for index, value in enumerate(row):
                summed[index] += value
        yield requests
        latency = HistogramMetricFamily(*LATENCY, labels=["operation"])
        for operation, row in timed.items():
            buckets = []
            total = 0.0
            for le, alone in zip(_LE, row, strict=False):
                total += alone
                buckets.append((le, total))
            latency.add_metric([operation], buckets, row[-1])
        yield latency
        yield GaugeMetricFamily(*IN_FLIGHT, value=self.in_flight)


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
