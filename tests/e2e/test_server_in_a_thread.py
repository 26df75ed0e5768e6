"""A server in a thread of the test process (tests.support.serve_in_thread) logs as a process
would: the session server's check that its log holds no traceback rests on this. The clients
the tests talk to it with are cheap to make."""

import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_impl.storage.store import SqlStore
from tests.support import Keys, Served, bearer, mint_key_in_process, serve_in_thread

MISSING = "conv-00000000-0000-4000-8000-000000000000"


def test_its_log_holds_its_own_tracebacks_and_no_line_of_the_test(
    new_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database("sqlite")
    key = mint_key_in_process(url)

    async def broken(*_args: Any) -> None:
        raise RuntimeError("planted in the store")

    monkeypatch.setattr(SqlStore, "get_current", broken)
    server = serve_in_thread(url, tmp_path / "server.log")
    try:
        logging.getLogger("conversations").error("logged by the test, not the server")
        # The traceback is logged by connexion in a worker thread of the server's.
        answer = httpx.get(f"{server.api_url}/conversations/{MISSING}", headers=bearer(key))
    finally:
        server.stop()
    assert answer.status_code == 500
    log = server.log_path.read_text()
    assert "Traceback" in log and "RuntimeError: planted in the store" in log, log
    assert "logged by the test" not in log


@pytest.mark.parametrize("fixture", ["http", "client"])
def test_a_client_the_tests_make_loads_no_ca_bundle(
    server: Served,
    keys: Keys,
    fixture: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The servers speak plain HTTP; a bundle loaded for each client cost 25 ms of CPU a test.
    loaded: list[object] = []
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda *args: loaded.append(args))
    request.getfixturevalue(fixture)
    assert loaded == []
