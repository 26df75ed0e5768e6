"""The fence around the adaptation of uvicorn's protocol: its release, and what it relies on."""

import importlib.metadata

import pytest

from server_impl.ops.protocol import ADAPTED_FOR, RELIED_ON
from tests.support import missing_internal


def test_the_installed_uvicorn_is_the_release_the_protocol_was_written_for() -> None:
    installed = importlib.metadata.version("uvicorn")
    assert installed == ADAPTED_FOR, (
        f"uvicorn {installed} is installed, server_impl/ops/protocol.py was written for"
        f" {ADAPTED_FOR}. Before changing ADAPTED_FOR, re-check the overridden methods against"
        " the new release's httptools_impl.py (data_received and on_header are copies of uvicorn's,"
        " with the limits and trailers added) and run tests/ops/test_connection_limits.py."
    )


@pytest.mark.parametrize(("dotted", "attribute"), RELIED_ON, ids=[f"{d}:{a}" for d, a in RELIED_ON])
def test_every_uvicorn_internal_the_protocol_relies_on_is_there(
    dotted: str, attribute: str
) -> None:
    problem = missing_internal(dotted, attribute)
    assert problem is None, problem
