"""The ``client_only`` marker: a test whose own thread runs only a client (an SDK, the generated
client, httpx, schemathesis' generation and checks) against a server in another thread or
process. While such a test's function runs, coverage's tracer is paused in the test's thread
only: on Python 3.11 a thread with a trace function runs every frame on the interpreter's slow
tracing path, measured file or not, and the client measures nothing of server_impl. The server's
threads stay traced, as does every thread the test starts; fixtures run traced as before.
In a module marked as a whole (``pytestmark``), ``@pytest.mark.client_only(False)`` leaves one
test's thread traced.

Never mark a test whose own thread runs server_impl code: the app in process (an ASGI
transport, ``in_process``), the CLI through ``cli``, ``mint_key``, a store. ``pytest
--check-client-only`` runs the marked tests with a watch in place of the pause, and fails a
test whose thread enters any of server_impl.

An adaptation of coverage's internals, relied on as coverage 7.17's C tracer has them
(coverage/ctracer/tracer.c; checked by tests/test_measurement.py, which fails when a pause stops
pausing or loses what another thread runs):

- the measuring core is a per-thread trace function set as by ``sys.settrace`` (the C tracer,
  or the Python one): ``sys.gettrace()`` is the tracer of the calling thread, ``sys.settrace``
  changes that thread's alone, and coverage gives new threads theirs through
  ``threading.settrace``, which the pause leaves alone. Python 3.11 has no ``sys.monitoring``,
  coverage's other core (and it measures branches only from Python 3.14);
- handing the tracer back with ``sys.settrace(tracer)`` resumes it: the C tracer is callable as
  a Python trace function and sets itself as each frame's ``f_trace`` "in case
  settrace(gettrace()) happens", then takes its C path back at the next call;
- it keeps a stack of the frames it has seen, pushed on each call event and popped on each
  return: so the pause and the resumption happen in one frame, this hook's, around a call whose
  frames are all left unseen, call and return alike. (Pausing in one frame and resuming in
  another, as a context manager's __enter__ and __exit__ would, unbalances that stack.)
"""

import sys
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import server_impl

MARK = "client_only"
SERVER_IMPL = str(Path(server_impl.__file__).parent)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--check-client-only",
        action="store_true",
        help=f"fail a test marked {MARK} whose own thread runs any of server_impl, instead of"
        " pausing coverage's tracer in that thread",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARK}: the test's own thread runs only a client of a server in another thread or"
        " process; coverage's tracer is paused in that thread while the test runs"
        " (tests/client_only.py)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    marker = pyfuncitem.get_closest_marker(MARK)
    if marker is None or marker.args == (False,):
        return (yield)
    if pyfuncitem.config.getoption("check_client_only"):
        entered: list[str] = []
        before = sys.gettrace()
        sys.settrace(_watch(entered))
        try:
            result = yield
        finally:
            sys.settrace(before)
        assert not entered, f"marked {MARK}, yet its thread ran server_impl: {entered[:5]}"
        return result
    # Paused and resumed in this frame: see the module's docstring.
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        return (yield)
    finally:
        sys.settrace(tracer)


def _watch(entered: list[str]) -> Any:
    def watch(frame: FrameType, event: str, arg: object) -> None:
        # Called for each call event only: returning None asks for no line events.
        if frame.f_code.co_filename.startswith(SERVER_IMPL):
            entered.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    return watch
