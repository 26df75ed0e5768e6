"""The fence around the adaptation of uvicorn's protocol: the upstream methods it overrides or
copies, as it was checked against them, and what else it relies on."""

import pytest

from server_impl.ops.protocol import RELIED_ON, UPSTREAM, LimitedHttpToolsProtocol
from testbed.upstream import changed, overridden
from tests.support import missing_internal


def test_every_uvicorn_method_the_protocol_overrides_or_copies_is_as_it_was_checked() -> None:
    # A release that changes one may carry a fix the copy lacks, or call what was overridden
    # differently: tests/ops/test_connection_limits.py then says what still holds.
    assert changed(UPSTREAM) == []


def test_every_uvicorn_method_the_protocol_overrides_is_fingerprinted() -> None:
    assert overridden([LimitedHttpToolsProtocol], "server_impl") <= set(UPSTREAM)


@pytest.mark.parametrize(("dotted", "attribute"), RELIED_ON, ids=[f"{d}:{a}" for d, a in RELIED_ON])
def test_every_uvicorn_internal_the_protocol_relies_on_is_there(
    dotted: str, attribute: str
) -> None:
    problem = missing_internal(dotted, attribute)
    assert problem is None, problem
