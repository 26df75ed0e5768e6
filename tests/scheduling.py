"""How pytest-xdist hands tests to its workers under `--dist loadscope` (make test).

loadscope gives a module's tests to one worker, so that its module fixtures are made once. A
module whose tests run once per engine then runs both engines' halves on one worker, one after
the other: the schemathesis module alone held one worker for about two minutes while the other
had finished. Here each engine's half of a module is a scope of its own, so the two halves can
run on both workers at once; a half still makes its fixtures once.

An adaptation of pytest-xdist's LoadScopeScheduling: it overrides its ``_split_scope``, the
method xdist's own LoadFileScheduling overrides to the same end. tests/test_scheduling.py pins
that the method is still there and what scopes it gives.
"""

import re

import pytest
from xdist.scheduler import LoadScopeScheduling

_ENGINE = re.compile(r"[\[-](sqlite|postgresql|memory)(?=[\]-])")
"""An engine among a test's parameters, as conftest's engine parameters name them."""


class EngineScopeScheduling(LoadScopeScheduling):
    """loadscope, with each engine's tests of a module (or class) a scope of their own."""

    def _split_scope(self, nodeid: str) -> str:
        scope = super()._split_scope(nodeid)
        engine = _ENGINE.search(nodeid[len(scope) :])
        return scope if engine is None else f"{scope}[{engine[1]}]"


def make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    """The scheduler for `--dist loadscope`; None leaves every other mode to xdist."""
    if config.getvalue("dist") != "loadscope":
        return None
    return EngineScopeScheduling(config, log)
