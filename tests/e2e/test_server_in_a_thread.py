"""A server in a thread of the test process (tests.support.serve_in_thread) logs as a process
would: the session server's check that its log holds no traceback rests on this."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_impl.storage.store import SqlStore
from tests.support import bearer, mint_key_in_process, serve_in_thread

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
