"""What an operator sees of a running server: its log lines (text or JSON, one per line, an
access line per request with its id) and its Prometheus metrics, also across workers.

A server in a thread of this process where what is read is the app's (access lines, metrics),
a `serve` process where it is the process's: its logging as configured, its workers, SIGTERM."""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from server_impl.settings import Settings
from tests.support import (
    RunningServer,
    Served,
    ServedInThread,
    bearer,
    free_port,
    mint_key,
    serve_in_thread,
    start_server,
)

# Tens of seconds: run before the shorter modules (tests/conftest.py).
pytestmark = pytest.mark.long

AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
MISSING = "conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def url(new_database: Callable[[str], str]) -> str:
    return new_database("sqlite")


@pytest.fixture
def key(url: str) -> str:
    return mint_key(url, "acme", "alice")


def serve(url: str, tmp_path: Path, **env: str) -> Iterator[RunningServer]:
    # Settings as CONVERSATIONS_* variables, none of them start_server's own options.
    server = start_server(url, tmp_path / "server.log", **cast(dict[str, Any], env))
    try:
        yield server
    finally:
        server.stop()


def serve_thread(url: str, tmp_path: Path, **settings: Any) -> Iterator[ServedInThread]:
    # Settings as Settings' fields, and access_log, the format of the access lines to write.
    server = serve_in_thread(url, tmp_path / "server.log", **settings)
    try:
        yield server
    finally:
        server.stop()


def traffic(server: Served, key: str) -> str:
    """One request of each kind of answer: 200, 404, 422, 401 (no key), 405. Returns the id of
    the conversation made."""
    with httpx.Client(base_url=server.api_url, headers=bearer(key)) as client:
        spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Request-Id": "req-create"}
        made = client.post(
            "/conversations/", params={"agent_id": AGENT}, json={"summary": "s3cr3t"},
            headers=spoofed,
        )  # fmt: skip
        assert made.status_code == 200
        assert client.get(f"/conversations/{MISSING}").status_code == 404
        assert client.get("/conversations/", params={"limit": 0}).status_code == 422
        assert httpx.get(f"{server.api_url}/conversations/{MISSING}").status_code == 401
        assert client.put("/conversations/").status_code == 405
        return str(made.json()["id"])


def test_json_logs_one_object_per_line_with_an_access_line_per_request(
    url: str, key: str, tmp_path: Path
) -> None:
    for server in serve(url, tmp_path, CONVERSATIONS_LOG_FORMAT="json",
                        CONVERSATIONS_LOG_LEVEL="info"):  # fmt: skip
        made = traffic(server, key)
    lines = [line for line in (tmp_path / "server.log").read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(RFC3339_UTC.match(record["time"]) for record in records)
    # Past the probes with which start_server waited for it.
    access = [r for r in records if r["logger"] == "conversations.access"
              and r["operation_id"] != "check_liveness"]  # fmt: skip
    assert [(r["operation_id"], r["status"]) for r in access] == [
        ("create_conversation", 200),
        ("retrieve_conversation", 404),
        ("list_conversations", 422),
        ("retrieve_conversation", 401),
        ("unmatched", 405),
    ]
    create = access[0]
    assert create["request_id"] == "req-create" and create["route"] == "/v1/conversations/"
    assert create["client"] == "127.0.0.1", "X-Forwarded-For from an untrusted peer is ignored"
    assert create["key_id"] == key.split("_")[1] and create["organization_id"].startswith("org-")
    assert access[3]["key_id"] is None
    assert all(len(r["request_id"]) > 0 and r["duration_ms"] > 0 for r in access)
    others = [r for r in records if r["logger"] != "conversations.access"]
    assert [r for r in others if r["level"] in ("WARNING", "ERROR", "CRITICAL")] == []
    text = "\n".join(lines)
    assert key not in text and "s3cr3t" not in text and made not in text


def test_text_logs_by_default_and_x_forwarded_for_from_a_trusted_proxy(
    url: str, key: str, tmp_path: Path
) -> None:
    for server in serve_thread(url, tmp_path, access_log="text", trusted_proxies="127.0.0.1"):
        traffic(server, key)
    lines = (tmp_path / "server.log").read_text().splitlines()
    access = [line for line in lines if " conversations.access " in line
              and " check_liveness " not in line]  # fmt: skip
    assert len(access) == 5 and all(RFC3339_UTC.match(line) for line in lines if line)
    assert re.search(
        r"INFO conversations\.access \[req-create\] POST /v1/conversations/ create_conversation"
        r" 200 [\d.]+ms key=[0-9a-f]{16} org=org-\S+ client=203\.0\.113\.9$",
        access[0],
    ), access[0]


def test_at_level_warning_no_access_line_is_written(url: str, key: str, tmp_path: Path) -> None:
    for server in serve(url, tmp_path, CONVERSATIONS_LOG_LEVEL="warning"):
        traffic(server, key)
    assert "conversations.access" not in (tmp_path / "server.log").read_text()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_clean_stop_loses_no_access_line(
    url: str, key: str, tmp_path: Path, workers: str
) -> None:
    # Access lines wait in batches (logs.AccessLog); SIGTERM right after the last answer
    # finds the last batch still waiting.
    ids = [f"req-stop-{n}" for n in range(40)]
    for server in serve(url, tmp_path, CONVERSATIONS_LOG_LEVEL="info",
                        CONVERSATIONS_WORKERS=workers):  # fmt: skip
        with httpx.Client(base_url=server.api_url, headers=bearer(key)) as client:
            for rid in ids:
                answer = client.get(f"/conversations/{MISSING}", headers={"X-Request-Id": rid})
                assert answer.status_code == 404
    lines = (tmp_path / "server.log").read_text().splitlines()
    written = [rid for line in lines for rid in ids if f"[{rid}] GET " in line]
    assert sorted(written) == sorted(ids)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_without_access_log_no_access_line_is_written_and_other_info_lines_are(
    url: str, key: str, tmp_path: Path, workers: str
) -> None:
    settings = {"CONVERSATIONS_ACCESS_LOG": "false", "CONVERSATIONS_LOG_LEVEL": "info"}
    for server in serve(url, tmp_path, CONVERSATIONS_WORKERS=workers, **settings):
        traffic(server, key)
    log = (tmp_path / "server.log").read_text()
    assert "conversations.access" not in log
    assert " INFO " in log, "uvicorn's and gunicorn's own info lines are still written"


def scrape(address: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(f"{address}/metrics")
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def counted(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], operation: str,
            status: int) -> float:  # fmt: skip
    labels = (("operation", operation), ("status", str(status)))
    return found.get(("conversations_requests_total", labels), 0.0)


def workload(server: Served, key: str, times: int) -> None:
    """times retrieves answered 404, each on a connection of its own, so that the kernel spreads
    them over the workers."""
    for _ in range(times):
        with httpx.Client(base_url=server.api_url, headers=bearer(key)) as client:
            assert client.get(f"/conversations/{MISSING}").status_code == 404


def test_two_workers_count_together_whichever_answers_the_scrape(
    url: str, key: str, tmp_path: Path
) -> None:
    for server in serve(url, tmp_path, CONVERSATIONS_WORKERS="2"):
        workload(server, key, 40)
        for _ in range(6):  # on connections of their own: both workers answer some
            found = scrape(server.base_url)
            assert counted(found, "retrieve_conversation", 404) == 40
            assert found[("conversations_build_info", (("spec_version", "0.2.0"),
                                                       ("version", "0.2.0")))] == 1  # fmt: skip


@pytest.mark.parametrize("workers", ["1", "2"])
def test_metrics_port_moves_metrics_to_a_listener_of_their_own(
    url: str, key: str, tmp_path: Path, workers: str
) -> None:
    port = free_port()
    served = (
        serve_thread(url, tmp_path, metrics_port=port)
        if workers == "1"
        else serve(
            url, tmp_path, CONVERSATIONS_WORKERS=workers, CONVERSATIONS_METRICS_PORT=str(port)
        )
    )
    for server in served:
        workload(server, key, 5)
        assert httpx.get(f"{server.base_url}/metrics").status_code == 404
        assert counted(scrape(f"http://127.0.0.1:{port}"), "retrieve_conversation", 404) == 5


@pytest.mark.parametrize("workers", ["1", "2"])
def test_without_metrics_nothing_is_served_at_metrics_and_requests_are_still_logged(
    url: str, key: str, tmp_path: Path, workers: str
) -> None:
    served = (
        serve_thread(url, tmp_path, metrics=False, access_log="text")
        if workers == "1"
        else serve(
            url,
            tmp_path,
            CONVERSATIONS_WORKERS=workers,
            CONVERSATIONS_METRICS="false",
            CONVERSATIONS_LOG_LEVEL="info",
        )  # fmt: skip
    )
    for server in served:
        workload(server, key, 3)
        assert httpx.get(f"{server.base_url}/metrics").status_code == 404
    access = [line for line in (tmp_path / "server.log").read_text().splitlines()
              if " retrieve_conversation 404 " in line]  # fmt: skip
    assert len(access) == 3


def test_a_metrics_port_without_metrics_is_refused() -> None:
    with pytest.raises(ValidationError, match="serves metrics, which --no-metrics"):
        Settings(metrics=False, metrics_port=9100)
