"""Storage: everything known about database engines, and nothing else.

`urls` reads a database URL and names its engine. What both engines store and ask is written
once, by aggregate, each statement beside the method that runs it: `conversation_rows` (a
conversation's columns and row mapping), `conversations` (one at a time), `conversation_pages`
(list pages and their cursors), `idempotency` (Idempotency-Key records), `api_keys` (API keys,
their users, organizations, limits and allowances), composed by `store.SqlStore` on the toolkit
of `sql` (statements, dialects, patterns, the engine's primitives). `sqlite` (with
`sqlite_connections`) and `postgres` hold only what differs (dialect fragments, connections,
locking, driver calls, error mapping); `tuning` what an operator may set of them; `migrate` and
`migrations/` own the schema; `backup`, and `copy` with `copy_sides`, move whole databases.
"""

from collections.abc import Callable

from server_impl.domain.ports import Store

from .tuning import DEFAULTS, Tuning
from .urls import DatabaseUrl


def store_for(database_url: str, tuning: Tuning = DEFAULTS) -> Store:
    """The store for a URL, not yet opened. Raises ValueError for an unsupported URL."""
    url = DatabaseUrl.parse(database_url)
    if url.engine == "postgresql":
        from .postgres import PostgresStore

        return PostgresStore(url.url, tuning)
    from .sqlite import SqliteStore

    return SqliteStore(url.sqlite_path, tuning)


def pool_reader(store: Store) -> Callable[[], tuple[int, int] | None] | None:
    """What reads (connections open, connections in use) of a store's pool; None for an engine
    without one (SQLite: one connection per process)."""
    from .postgres import PostgresStore

    return store.pool_use if isinstance(store, PostgresStore) else None
