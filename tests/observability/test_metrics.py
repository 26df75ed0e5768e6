"""What the metrics assume of prometheus-client. What they count is pinned through the app
(tests/api/test_observed.py) and across two workers (tests/ops/test_operability.py)."""

from prometheus_client import values


def test_the_prometheus_client_internal_each_process_relies_on_is_there() -> None:
    """Metrics() picks per-process or shared values again (server_impl/observability/
    metrics.py): after an upgrade of prometheus-client, this says first what the two-worker
    test would show."""
    assert callable(values.get_value_class) and hasattr(values, "ValueClass")
