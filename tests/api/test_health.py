"""Readiness follows the database (whether it answers and takes writes), in process; liveness
does not."""

from server_impl.storage.sqlite import SqliteStore
from tests.support import AGENT, in_process, run_async


def test_readiness_is_a_503_once_the_sqlite_connection_is_gone(sqlite_url: str) -> None:
    store = SqliteStore(sqlite_url.removeprefix("sqlite:///"))
    with in_process(store) as app:
        assert app.get("/health/ready").json() == {"status": "ready"}
        run_async(store.close())
        gone = app.get("/health/ready")
        assert gone.status_code == 503, gone.text
        assert gone.headers["retry-after"] == "1"
        assert app.get("/health").json() == {"status": "ok"}


def test_a_database_that_becomes_read_only_answers_writes_503_and_fails_readiness(
    sqlite_url: str, key: dict[str, str]
) -> None:
    store = SqliteStore(sqlite_url.removeprefix("sqlite:///"))
    with in_process(store) as app:
        create = {"url": "/conversations/", "params": {"agent_id": AGENT}, "headers": key}
        made = app.post(**create, json={"summary": "kept"})
        assert made.status_code == 200, made.text
        store.db.execute("PRAGMA query_only = ON")  # as a file system remounted read-only
        for refused in (
            app.post(**create, json={}),
            app.patch(f"/conversations/{made.json()['id']}", json={"summary": "lost"},
                      headers=key),
            app.get("/health/ready"),
        ):  # fmt: skip
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "1"
        assert app.get(f"/conversations/{made.json()['id']}", headers=key).json()["summary"] == (
            "kept"
        )
        store.db.execute("PRAGMA query_only = OFF")
        assert app.get("/health/ready").json() == {"status": "ready"}
        assert app.post(**create, json={}).status_code == 200
