"""An online, consistent copy of a SQLite database into a new file, while it is being served.

SQLite's `VACUUM INTO` writes the copy from one read transaction: a snapshot of every write
committed before it began, whatever the server writes meanwhile (WAL lets the writer go on).
It writes a temporary file beside the target, which is linked to the target's name only once
complete and synced, so a failed backup leaves nothing behind, and an existing file is never
overwritten (the link fails rather than replace it). Restoring is pointing --database-url at
the file.
"""

import os
import secrets
import sqlite3
from pathlib import Path

from .urls import DatabaseUrl, shown

BUSY_TIMEOUT_MS = 5_000


class BackupRefused(ValueError):
    """The backup was not started: the operator's to fix (a target that exists, another engine)."""


class BackupFailed(RuntimeError):
    """The backup failed part way; nothing was left behind."""


def backup(database_url: str, target: Path) -> int:
    """Copies the SQLite database at database_url into the new file target; returns its size in
    bytes. Raises BackupRefused before anything is written, BackupFailed after cleaning up."""
    url = DatabaseUrl.parse(database_url)
    if url.engine != "sqlite":
        raise BackupRefused(
            f"backup copies SQLite databases only; for {shown(database_url)} use pg_dump"
            " --format=custom (restore with pg_restore), or copy --to sqlite:///FILE"
        )
    if target.exists() or target.is_symlink():
        raise BackupRefused(f"{target} exists; backup never overwrites a file: name a new one")
    if not target.parent.is_dir():
        raise BackupRefused(f"Cannot write {target}: no folder {target.parent}")
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        _vacuum_into(url.sqlite_path, partial)
        _sync(partial)
        os.link(partial, target)
        _sync(target.parent)
    except FileExistsError as error:
        raise BackupRefused(
            f"{target} exists; backup never overwrites a file: name a new one"
        ) from error
    except (sqlite3.Error, OSError) as error:
        # SQLite names the temporary file, which the operator never sees.
        reason = _reason(error).removesuffix(f": {partial}")
        raise BackupFailed(f"Cannot back up to {target}: {reason}") from error
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _vacuum_into(source: str, partial: Path) -> None:
    # mode=rw: a missing source is an error, not a new empty database.
    db = sqlite3.connect(f"file:{source}?mode=rw", uri=True, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("VACUUM INTO ?", (str(partial),))
    finally:
        db.close()


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
