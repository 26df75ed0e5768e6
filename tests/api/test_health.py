"""Readiness follows the database, in process; liveness does not."""

from server_impl.storage.sqlite import SqliteStore
from tests.support import in_process, run_async


def test_readiness_is_a_503_once_the_sqlite_connection_is_gone(sqlite_url: str) -> None:
    store = SqliteStore(sqlite_url.removeprefix("sqlite:///"))
    with in_process(store) as app:
        assert app.get("/health/ready").json() == {"status": "ready"}
        run_async(store.close())
        gone = app.get("/health/ready")
        assert gone.status_code == 503, gone.text
        assert gone.headers["retry-after"] == "1"
        assert app.get("/health").json() == {"status": "ok"}
