"""Contract fuzzing inside `make test`: a bounded, seeded schemathesis run over every operation.

`make fuzz` runs the same checks with a far larger budget through schemathesis' command line.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.conftest import ROOT, Keys, RunningServer, bearer

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
def test_every_operation_keeps_its_contract(case: Case) -> None:
    case.call_and_validate()


def test_workflows_along_the_links_keep_the_contract(live_schema: OpenApiSchema) -> None:
    workflow = live_schema.as_state_machine()
    workflow.run(
        settings=settings(
            BUDGET, max_examples=30, stateful_step_count=8, suppress_health_check=list(HealthCheck)
        )
    )
