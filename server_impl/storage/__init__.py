"""Storage: everything known about database engines, and nothing else.

`urls` reads a database URL and names its engine; `sql` holds what both engines store and ask,
written once; `sqlite` and `postgres` hold only what differs (placeholders, locking, driver
calls, error mapping); `migrate` and `migrations/` own the schema.
"""

from collections.abc import Callable

from server_impl.domain.ports import Store

from .shares import LISTS_PER_ORGANIZATION
from .urls import DatabaseUrl

# The defaults of both engines (sqlite.py and postgres.py), without importing their drivers.
STATEMENT_BUDGET_S = 5.0
READERS = 4


def store_for(
    database_url: str,
    *,
    statement_budget_s: float = STATEMENT_BUDGET_S,
    sqlite_readers: int = READERS,
    lists_per_organization: int = LISTS_PER_ORGANIZATION,
) -> Store:
    """The store for a URL, not yet opened. Raises ValueError for an unsupported URL."""
    url = DatabaseUrl.parse(database_url)
    if url.engine == "postgresql":
        from .postgres import PostgresStore

        return PostgresStore(
            url.url,
            statement_budget_s=statement_budget_s,
            lists_per_organization=lists_per_organization,
        )
    from .sqlite import SqliteStore

    return SqliteStore(
        url.sqlite_path,
        readers=sqlite_readers,
        statement_budget_s=statement_budget_s,
        lists_per_organization=lists_per_organization,
    )


def pool_reader(store: Store) -> Callable[[], tuple[int, int] | None] | None:
    """What reads (connections open, connections in use) of a store's pool; None for an engine
    without one (SQLite: one connection per process)."""
    from .postgres import PostgresStore

    return store.pool_use if isinstance(store, PostgresStore) else None
