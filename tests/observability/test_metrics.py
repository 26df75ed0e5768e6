"""What the metrics assume of prometheus-client. What they count is pinned through the app
(tests/api/test_observed.py) and across two workers (tests/ops/test_operability.py)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from server_impl.observability.metrics import (
    IN_FLIGHT,
    LATENCY,
    LATENCY_BUCKETS,
    RELIED_ON,
    REQUESTS,
    UPSTREAM,
    RequestFigures,
)
from testbed.upstream import changed
from tests.support import missing_internal


def test_the_prometheus_client_internals_each_process_relies_on_are_as_they_were_checked() -> None:
    """Metrics() picks per-process or shared values again (server_impl/observability/
    metrics.py): after an upgrade of prometheus-client, this says first what the two-worker
    test would show."""
    assert [missing_internal(*reliance) for reliance in RELIED_ON] == [None]
    assert changed(UPSTREAM) == []


def test_request_figures_read_as_prometheus_clients_counter_histogram_and_gauge() -> None:
    """The series of one process's requests are those prometheus-client's own metrics of the
    same names give for the same requests (latencies that add up exactly in any order: the
    sum is kept by status, then added)."""
    figures = RequestFigures()
    ours = CollectorRegistry()
    ours.register(figures)
    theirs = CollectorRegistry()
    requests = Counter(*REQUESTS, ["operation", "status"], registry=theirs)
    latency = Histogram(*LATENCY, ["operation"], buckets=LATENCY_BUCKETS, registry=theirs)
    in_flight = Gauge(*IN_FLIGHT, registry=theirs)
    answered = [
        ("retrieve_conversation", 200, 2**-10),
        ("update_conversation", 200, 0.25),
        ("retrieve_conversation", 404, 0.001),  # on a bound: in its bucket
        ("retrieve_conversation", 200, 0.0),
        ("update_conversation", 412, 16.0),  # past the last bound: +Inf only
        ("unmatched", 404, 2.5),
        ("retrieve_conversation", 200, 2**-10),
    ]
    for operation, status, seconds in answered:
        figures.started()
        in_flight.inc()
        figures.finished(operation, status, seconds)
        in_flight.dec()
        requests.labels(operation, status).inc()
        latency.labels(operation).observe(seconds)
    figures.started()
    in_flight.inc()  # one still being served
    assert generate_latest(ours).decode() == generate_latest(theirs).decode()
