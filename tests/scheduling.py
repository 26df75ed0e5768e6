"""How pytest-xdist hands `make test` to its workers (`--dist loadscope`, tests/conftest.py's
pytest_xdist_make_scheduler).

loadscope sends a module to one worker, so that its module fixtures are made once, and hands
modules out by their number of tests, most first. The longest modules have few tests, each
waiting on a clock, a lease or a process, so they came last and the run ended on one worker
while the others were idle. Here the modules of LONG go out first, in its order, each test a
unit of its own that any worker may take (their module fixtures are then made once per worker
that runs one of their tests); every other module goes as loadscope sends it.
"""

from typing import Any

from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

LONG = (
    # One item per engine, about 60 s each: every operation fuzzed in process.
    "tests/contract/test_schemathesis.py",
    # A replica killed mid-create, whose key stays blocked for the 30 s lease it tests.
    "tests/resilience/test_idempotent_replicas.py",
    # 10 s windows of requests against a key's rate, on a process with two workers.
    "tests/resilience/test_shared_rate_limits.py",
    # A server process each, waiting out head, body and keep-alive timeouts.
    "tests/ops/test_connection_limits.py",
    "tests/ops/test_serve.py",
    "tests/ops/test_operability.py",
    "tests/resilience/test_crash.py",
    "tests/resilience/test_replicas.py",
    "tests/resilience/test_sqlite_writers.py",
    "tests/resilience/test_outage.py",
    "tests/contract/test_schemathesis_workflows.py",
)
"""The modules whose tests are handed out first and one by one, longest first."""


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class LongFirstScheduling(LoadScopeScheduling):
    """loadscope, but the tests of LONG first and one at a time (see the module's docstring)."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self._ordered = False

    def _split_scope(self, nodeid: str) -> str:
        if module_of(nodeid) in LONG:
            return nodeid
        scope: str = super()._split_scope(nodeid)
        return scope

    def _assign_work_unit(self, node: Any) -> None:
        # The queue is complete by the first assignment (schedule() fills it, then assigns).
        if not self._ordered:
            self._ordered = True
            first = sorted(
                (scope for scope in self.workqueue if module_of(scope) in LONG),
                key=lambda scope: LONG.index(module_of(scope)),
            )
            for scope in reversed(first):
                self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)
