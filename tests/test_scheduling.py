"""The workers' scopes under `--dist loadscope` (tests/scheduling.py)."""

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.scheduling import EngineScopeScheduling


def scope_of(nodeid: str) -> str:
    scheduler: Any = EngineScopeScheduling.__new__(EngineScopeScheduling)
    return str(scheduler._split_scope(nodeid))


def test_xdist_still_has_the_method_the_scheduler_overrides() -> None:
    assert callable(getattr(LoadScopeScheduling, "_split_scope", None))


@pytest.mark.parametrize(
    ("nodeid", "scope"),
    [
        (
            "tests/contract/test_schemathesis.py::test_every_operation_keeps_its_contract"
            "[sqlite][PATCH /conversations/default]",
            "tests/contract/test_schemathesis.py[sqlite]",
        ),
        (
            "tests/contract/test_schemathesis.py::test_workflows_along_the_links_keep_the_contract"
            "[postgresql]",
            "tests/contract/test_schemathesis.py[postgresql]",
        ),
        (
            "tests/bench/test_peers.py::test_retrieve_and_update_answer_as_this_server_does"
            "[postgresql-Litestar lean peer]",
            "tests/bench/test_peers.py[postgresql]",
        ),
        ("tests/storage/test_engines.py::test_x[memory]", "tests/storage/test_engines.py[memory]"),
        ("tests/domain/test_keys.py::test_a_key_parses", "tests/domain/test_keys.py"),
        ("tests/api/test_x.py::TestY::test_z[sqlite-1]", "tests/api/test_x.py::TestY[sqlite]"),
        ("tests/api/test_x.py::test_mysqlite_name[a]", "tests/api/test_x.py"),
    ],
)
def test_each_engines_half_of_a_module_is_a_scope_of_its_own(nodeid: str, scope: str) -> None:
    assert scope_of(nodeid) == scope
