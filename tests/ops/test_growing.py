"""The README's "Growing" steps, run as written: a SQLite database of `make run` copied to
PostgreSQL and served there by two replicas, every key and conversation on each."""

import os
import re
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import httpx

from server_impl.storage import store_for
from tests.support import (
    AGENT,
    ROOT,
    bearer,
    free_port,
    in_process,
    mint_key_in_process,
    new_sqlite_database,
)

STEPS = re.search(
    r"### Growing.*?```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL
)


def test_the_readme_growing_steps_take_a_sqlite_database_to_postgresql_replicas(
    tmp_path: Path, postgres_url: str
) -> None:
    assert STEPS is not None
    sqlite_url = new_sqlite_database(tmp_path)
    key = mint_key_in_process(sqlite_url)
    with in_process(store_for(sqlite_url)) as http:
        made = http.post(
            "/conversations/", params={"agent_id": AGENT}, json={}, headers=bearer(key)
        )
        assert made.status_code == 200, made.text
    ports = [free_port(), free_port()]
    script = STEPS[1]
    script = re.sub(r"^SQLITE=.*$", f"SQLITE={sqlite_url}", script, flags=re.MULTILINE)
    script = re.sub(r"^POSTGRES=.*$", f"POSTGRES={postgres_url}", script, flags=re.MULTILINE)
    script = script.replace("--port 8283", f"--port {ports[0]}")
    script = script.replace("--port 8284", f"--port {ports[1]}")
    script = script.replace("--host 0.0.0.0", "--host 127.0.0.1")
    assert script.count("serve ") == 2
    log = (tmp_path / "steps.log").open("w")
    # A session of its own, so that the replicas it leaves running are stopped with it.
    steps = subprocess.Popen(
        ["bash", "-e", "-c", script],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert steps.wait(timeout=120) == 0, (tmp_path / "steps.log").read_text()
        for port in ports:
            listed = _when_up(f"http://127.0.0.1:{port}/v1/conversations/", key)
            assert [c["id"] for c in listed.json()] == [made.json()["id"]]
    finally:
        with suppress(ProcessLookupError):  # the replicas, if any started
            os.killpg(steps.pid, signal.SIGTERM)
        log.close()
    printed = (tmp_path / "steps.log").read_text()
    assert "The database schema is at revision" in printed
    assert re.search(r"^Copied 6 rows from ", printed, flags=re.MULTILINE), printed


def _when_up(url: str, key: str) -> httpx.Response:
    deadline = time.monotonic() + 90
    while True:
        try:
            return httpx.get(url, headers=bearer(key))
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
