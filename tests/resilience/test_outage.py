"""PostgreSQL goes away while the server serves: quick 503s, then recovery on its own."""

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support import AGENT, ENGINES, PostgresCluster, ServedInThread, fresh_key, migrate

ANSWER_WITHIN_S = 10  # the server answers within ~2 s; a hang would hit this client timeout


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, since the test stops it."""
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


def test_an_outage_gives_503_with_retry_after_and_the_server_recovers(
    own_postgres: PostgresCluster, launch_in_thread: Callable[..., ServedInThread]
) -> None:
    database_url = own_postgres.new_database()
    migrate(database_url)
    headers = fresh_key(database_url)
    server = launch_in_thread(database_url)
    client = httpx.Client(base_url=server.api_url, headers=headers, timeout=ANSWER_WITHIN_S)
    created = client.post("/conversations/", params={"agent_id": AGENT}, json={"summary": "kept"})
    url = f"/conversations/{created.json()['id']}"
    assert client.get("/health/ready").status_code == 200

    own_postgres.stop()
    retried = {"Idempotency-Key": "sent-during-the-outage"}
    answers = [
        client.get(url),
        client.patch(url, json={"summary": "during the outage"}),
        client.post("/conversations/", params={"agent_id": AGENT}),
        client.post("/conversations/", params={"agent_id": AGENT}, headers=retried),
        client.get("/conversations/"),
        client.get("/health/ready"),
    ]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) >= 0
        assert "Traceback" not in answer.text
    assert client.get("/health").status_code == 200  # alive, only not ready

    own_postgres.start()
    deadline = time.monotonic() + 30
    while client.get("/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover by itself"
        time.sleep(0.2)
    assert client.get(url).json()["summary"] == "kept"
    assert client.patch(url, json={"summary": "after"}).status_code == 200
    # The create with a key that failed kept nothing: its retry runs.
    created = client.post("/conversations/", params={"agent_id": AGENT}, headers=retried)
    assert created.status_code == 200 and "idempotent-replayed" not in created.headers
    client.close()
    assert "Traceback" not in server.log_path.read_text()
