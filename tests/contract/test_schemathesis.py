"""Contract fuzzing inside `make test`: a bounded, seeded schemathesis run over every operation.

`make fuzz` runs the same checks with a far larger budget through schemathesis' command line.
The stateful pass along the spec's links is in test_schemathesis_workflows.py, a module of its
own so that pytest-xdist can run it on another worker beside this one, the longest module.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support import ROOT, Keys, Served, bearer

# Each test's own thread runs only a client: coverage pauses there (tests/client_only.py). Tens of
# seconds: run before the shorter modules (tests/conftest.py).
pytestmark = [pytest.mark.client_only, pytest.mark.long]

BUDGET = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def live_schema(server: Served, keys: Keys) -> OpenApiSchema:
    """The spec, pointed at the test server, with a key set by an auth provider.

    Given by a provider (rather than as a header on every request), the key is one schemathesis
    knows to be valid: it still sends requests without it, or with another, to check that they
    are refused. As a configured header it took the key for one it made up once operations had
    header parameters of their own (X-Request-Id).
    """
    schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
    schema.config.update(base_url=server.api_url)

    @schema.auth()
    class Alice:
        def get(self, case: Case[Any], context: Any) -> str:
            return keys.alice

        def set(self, case: Case[Any], data: str, context: Any) -> None:
            case.headers.update(bearer(data))

    return schema


schema = schemathesis.pytest.from_fixture("live_schema")


# One test item for every operation: about 60 s on a quiet machine, and past the run's 120 s per
# test (pyproject.toml), which is there to end hangs, at a load of 10 on 2 cores.
@pytest.mark.timeout(600)
@schema.parametrize()
@BUDGET
def test_every_operation_keeps_its_contract(case: Case[Any]) -> None:
    case.call_and_validate()
