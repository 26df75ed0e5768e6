"""The fence around the adaptation of uvicorn's protocol: in each of its modules, the upstream
methods it overrides or copies, as it was checked against them, and what else it relies on."""

from types import ModuleType

import pytest

from server_impl.ops.protocol import FENCED, LimitedHttpToolsProtocol
from testbed.upstream import changed, overridden
from tests.support import missing_internal

RELIED_ON = [(dotted, attribute) for module in FENCED for dotted, attribute in module.RELIED_ON]


def module_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[1]


@pytest.mark.parametrize("module", FENCED, ids=module_name)
def test_every_uvicorn_method_the_protocol_overrides_or_copies_is_as_it_was_checked(
    module: ModuleType,
) -> None:
    # A release that changes one may carry a fix the copy lacks, or call what was overridden
    # differently: tests/ops/test_connection_limits.py then says what still holds.
    assert changed(module.UPSTREAM) == []


@pytest.mark.parametrize("module", FENCED, ids=module_name)
def test_every_uvicorn_method_the_protocol_overrides_is_fingerprinted_beside_it(
    module: ModuleType,
) -> None:
    layers = [
        kind
        for kind in vars(module).values()
        if getattr(kind, "__module__", None) == module.__name__ and isinstance(kind, type)
    ]
    assert layers
    assert overridden(layers, "server_impl") <= set(module.UPSTREAM)


def test_every_layer_of_the_protocol_is_in_a_fenced_module() -> None:
    # A layer added elsewhere would override uvicorn's methods outside every fence.
    ours = {kind.__module__ for kind in LimitedHttpToolsProtocol.__mro__}
    assert {name for name in ours if name.startswith("server_impl")} == {
        module.__name__ for module in FENCED
    }


@pytest.mark.parametrize(("dotted", "attribute"), RELIED_ON, ids=[f"{d}:{a}" for d, a in RELIED_ON])
def test_every_uvicorn_internal_the_protocol_relies_on_is_there(
    dotted: str, attribute: str
) -> None:
    problem = missing_internal(dotted, attribute)
    assert problem is None, problem
