"""What an operator may tune of the storage, with its defaults: each field is a setting of the
same name (server_impl/settings.py bounds them; `serve --help` and the README explain them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    statement_budget_s: float = 5.0
    """A read (SQLite) or any statement (PostgreSQL) running longer is ended: OverBudget."""
    lists_per_organization: int = 2
    """List pages of one organization read at once per process (shares.py)."""
    scans_per_organization: int = 1
    """Of those, scans (searches no text index answers) of one organization at once per
    process: each takes a core for as long as it reads, so one organization's scans leave the
    others' requests cores to run on (shares.py)."""
    sqlite_readers: int = 4
    """Connections reading a SQLite database, each on a thread of its own."""
    sqlite_busy_timeout_s: float = 5.0
    """How long a SQLite write waits for another process's lock before StorageUnavailable."""
    postgres_pool_size: int = 10
    """The most connections one process holds to PostgreSQL."""
    postgres_acquire_timeout_s: float = 2.0
    """How long a call waits for a free pooled connection before StorageUnavailable."""
    postgres_connect_timeout_s: float = 2.0
    """How long opening a connection to PostgreSQL may take before StorageUnavailable."""


DEFAULTS = Tuning()
