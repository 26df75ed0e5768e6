import uuid
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


@pytest.fixture(scope="module")
def module_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return new_sqlite_database(tmp_path_factory.mktemp("module"))


@pytest.fixture(scope="module")
def module_app(module_sqlite_url: str) -> Iterator[TestClient]:
    """One app with the default settings for all the tests of a module, which takes it as its
    `app` and module_sqlite_url as its `sqlite_url`: for tests that each write only with their
    own `key` (an organization of their own, which sees nothing of another's) and change
    nothing else of the app that another test reads (its counters, metrics or settings).
    Making an app costs more than most of these tests (connexion validates the spec again)."""
    with in_process(store_for(module_sqlite_url)) as client:
        yield client


@pytest.fixture
def key(sqlite_url: str) -> dict[str, str]:
    """A key of an organization of the test's own."""
    organization = f"org-{uuid.uuid4().hex[:12]}"
    return {"Authorization": f"Bearer {mint_key_in_process(sqlite_url, organization)}"}


@pytest.fixture
def access_lines(monkeypatch: pytest.MonkeyPatch) -> AccessLines:
    """The access lines of the app in this process, from here on."""
    lines = AccessLines()
    monkeypatch.setattr(logs, "access", lines.log)
    return lines
