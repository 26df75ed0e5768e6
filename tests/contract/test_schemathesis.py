"""Contract fuzzing inside `make test`: a bounded, seeded schemathesis run over every operation.

`make fuzz` runs the same checks with a far larger budget through schemathesis' command line.
"""

import subprocess
import sys
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support import ROOT, Keys, RunningServer, bearer

BUDGET = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def live_schema(server: RunningServer, keys: Keys) -> OpenApiSchema:
    """The spec, pointed at the test server with a key, as `schemathesis run -H` would.

    Configuring the schema (rather than passing headers per call) lets schemathesis still send
    requests without the key to check that they are refused.
    """
    schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
    schema.config.update(base_url=server.api_url, headers=bearer(keys.alice))
    return schema


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@BUDGET
def test_every_operation_keeps_its_contract(case: Case[Any], keys: Keys) -> None:
    # The key the schema is configured with, named again so that ignored_auth counts it as
    # given (and probes without it) rather than as generated: for an operation with a header
    # parameter of its own (create's Idempotency-Key) it otherwise took the configured key
    # for a generated one and failed any 2xx.
    case.call_and_validate(headers=bearer(keys.alice))


def test_workflows_along_the_links_keep_the_contract(server: RunningServer, keys: Keys) -> None:
    # Through the command line: what a link yields depends on what the server holds, which
    # Hypothesis' own state machine runner reports as flaky generation; schemathesis' runner
    # is built for that.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            server.api_url,
            "--header",
            f"Authorization: Bearer {keys.alice}",
            "--checks",
            "all",
            # Replaced by its variant in tests/contract/hooks.py, which --checks all includes.
            "--exclude-checks",
            "ensure_resource_availability",
            "--phases",
            "stateful",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--workers",
            "1",
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr
    assert "API Links:" in result.stdout
