"""Database URLs: which engine each names, and where a SQLite file lies."""

import pytest

from server_impl.storage import store_for
from server_impl.storage.urls import DatabaseUrl


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/x.db", "var/x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_name_a_file(url: str, path: str) -> None:
    parsed = DatabaseUrl.parse(url)
    assert parsed.engine == "sqlite"
    assert parsed.sqlite_path == path
    assert parsed.sqlalchemy_url == url


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_urls_go_through_asyncpg_for_the_migrations(scheme: str) -> None:
    parsed = DatabaseUrl.parse(f"{scheme}://u:p@db:5432/conv")
    assert parsed.engine == "postgresql"
    assert parsed.sqlalchemy_url == "postgresql+asyncpg://u:p@db:5432/conv"


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "var/x.db", ""])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="Unsupported database URL"):
        store_for(url)
