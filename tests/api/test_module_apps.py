"""The modules whose tests each change nothing another reads share one app (conftest.py's
module_app): making an app costs more than most of their tests."""

import re
from pathlib import Path

import pytest

from tests.support import ROOT

HERE = Path(__file__).parent
SHARING = [
    "test_bounds.py",
    "test_middleware.py",
    "test_request_id.py",
    "test_validation_messages.py",
]


def test_the_modules_that_share_an_app_make_one_each(pytester: pytest.Pytester) -> None:
    planned = pytester.runpytest_inprocess(
        "--setup-plan", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
        *(str(HERE / module) for module in SHARING),
    )  # fmt: skip
    assert planned.ret == 0, planned.outlines
    plan = "\n".join(planned.outlines)
    assert len(re.findall(r"SETUP +M module_app\b", plan)) == len(SHARING), plan
    assert re.findall(r"SETUP +F (?:app|sqlite_url)\b", plan) == [], plan
