from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server_impl.observability import logs
from server_impl.storage import store_for
from tests.support import AccessLines, in_process, mint_key_in_process, new_sqlite_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return new_sqlite_database(tmp_path)


@pytest.fixture
def app(sqlite_url: str) -> Iterator[TestClient]:
    """The app in this process on a fresh SQLite database, with the default settings."""
    with in_process(store_for(sqlite_url)) as client:
        yield client


@pytest.fixture
def key(sqlite_url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_key_in_process(sqlite_url)}"}


@pytest.fixture
def access_lines(monkeypatch: pytest.MonkeyPatch) -> AccessLines:
    """The access lines of the app in this process, from here on."""
    lines = AccessLines()
    monkeypatch.setattr(logs, "access", lines.log)
    return lines
