"""The load balancer's probes on the wire: liveness and readiness, without a key."""

import httpx
import pytest

from tests.support import TLS, Served

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py).
pytestmark = pytest.mark.client_only


def test_both_probes_answer_without_a_key(server: Served) -> None:
    server_url = server.api_url
    assert httpx.get(f"{server_url}/health", verify=TLS).json() == {"status": "ok"}
    assert httpx.get(f"{server_url}/health/ready", verify=TLS).json() == {"status": "ready"}
