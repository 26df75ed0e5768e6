"""The fingerprints that fence adaptations of upstream functions (testbed/upstream.py)."""

import inspect
from pathlib import Path

from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from testbed import upstream

DATA_RECEIVED = "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol.data_received"


def test_a_function_as_it_was_checked_passes_and_a_changed_one_is_named_with_its_diff() -> None:
    now = upstream.fingerprint(inspect.getsource(HttpToolsProtocol.data_received))
    assert upstream.changed({DATA_RECEIVED: ("0.55.0", now)}) == []
    [line] = upstream.changed({DATA_RECEIVED: ("0.1.0", "000000000000")})
    assert line.startswith(f"{DATA_RECEIVED} changed between uvicorn 0.1.0 and ")
    assert f"python -m testbed.upstream diff {DATA_RECEIVED} 0.1.0" in line
    assert repr(now) in line


def test_a_function_gone_from_its_release_is_named() -> None:
    gone = "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol.no_such_method"
    [line] = upstream.changed({gone: ("0.55.0", "000000000000")})
    assert line.startswith(f"{gone} is gone from uvicorn")


def test_indentation_alone_leaves_a_fingerprint_unchanged() -> None:
    source = "def f():\n    return 1\n"
    assert upstream.fingerprint(source) == upstream.fingerprint("    def f():\n        return 1\n")
    assert upstream.fingerprint(source) != upstream.fingerprint(source.replace("1", "2"))


def test_overrides_of_upstream_methods_are_found_static_ones_included_and_own_bases_not() -> None:
    class Adapted(HttpToolsProtocol):
        def data_received(self, data: bytes) -> None: ...

        @staticmethod
        def _unset_keepalive_if_required() -> None: ...

        def added(self) -> None: ...

    class AdaptedAgain(Adapted):
        def data_received(self, data: bytes) -> None: ...

    found = upstream.overridden([AdaptedAgain], outside=__name__)
    assert found == {DATA_RECEIVED}
    assert upstream.overridden([Adapted], outside=__name__) == {
        DATA_RECEIVED,
        "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol._unset_keepalive_if_required",
    }


def test_a_definition_read_from_a_release_file_is_the_source_inspect_gives() -> None:
    # What `diff` reads from a release, compared with what the fingerprint is taken of.
    source = Path(httptools_impl.__file__).read_text()
    for names in (["HttpToolsProtocol", "data_received"], ["HttpToolsProtocol"]):
        read = upstream._definition(source, names)
        obj = HttpToolsProtocol if len(names) == 1 else HttpToolsProtocol.data_received
        assert read == inspect.getsource(obj)
