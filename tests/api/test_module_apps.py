"""The modules whose tests each change nothing another reads share one app (conftest.py's
module_app): making an app costs more than most of their tests."""

import re
from pathlib import Path

import pytest

from tests.support import ROOT

HERE = Path(__file__).parent
SHARING = {
    "test_bounds.py": "module_app",
    "test_forwarded.py": "behind_proxy",
    "test_middleware.py": "module_app",
    "test_request_id.py": "module_app",
    "test_validation_messages.py": "module_app",
    "connexion_adaptations/test_validators.py": "module_app",
}
"""Each module that shares an app, and the fixture that makes it."""


@pytest.mark.parametrize(("module", "fixture"), SHARING.items())
def test_a_module_whose_tests_change_nothing_another_reads_makes_one_app(
    pytester: pytest.Pytester, module: str, fixture: str
) -> None:
    planned = pytester.runpytest_inprocess(
        "--setup-plan", "-p", "no:cacheprovider", "--rootdir", str(ROOT), str(HERE / module)
    )
    assert planned.ret == 0, planned.outlines
    plan = "\n".join(planned.outlines)
    assert len(re.findall(rf"SETUP +M {fixture}\b", plan)) == 1, plan
    assert re.findall(rf"SETUP +F (?:app|{fixture})\b", plan) == [], plan
