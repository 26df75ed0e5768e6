"""`backup --to FILE`: an online, consistent copy of a SQLite database while a server writes to
it; refusals and failures are one line, a non-zero exit and no file left behind."""

import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from server_impl.storage import backup as backups
from server_impl.storage import migrate as migrations
from tests.support import (
    AGENT,
    bearer,
    cli,
    mint_key,
    new_sqlite_database,
    read_only,
    start_server,
)


def _ids(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT id FROM conversations")}


def test_a_backup_taken_under_writes_opens_at_the_current_revision_with_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    url = new_sqlite_database(tmp_path)
    key = mint_key(url, "acme", "alice")
    server = start_server(url, tmp_path / "server.log")
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=server.api_url, headers=bearer(key), timeout=30) as http:
            while not stop.is_set():
                created = http.post("/conversations/", params={"agent_id": AGENT}, json={})
                assert created.status_code == 200, created.text
                acknowledged.append(created.json()["id"])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 50:
            stop.wait(0.01)
        before = set(acknowledged)
        target = tmp_path / "backup.db"
        result = cli("backup", "--to", str(target), database_url=url)
        during = len(acknowledged) - len(before)
        while len(acknowledged) < len(before) + during + 20:  # the server writes on after it
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
        server.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Backed up to {target} (")
    backup_url = f"sqlite:///{target}"
    assert migrations.current_revision(backup_url) == migrations.head_revision()
    held = _ids(target)
    assert before <= held
    assert held <= set(acknowledged)
    assert [path.name for path in tmp_path.glob(".*partial")] == []
    # Restoring is pointing --database-url at it: the keys work there too.
    assert cli("keys", "list", database_url=backup_url).stdout.count("active") == 1


def test_an_existing_target_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    url = new_sqlite_database(tmp_path)
    target = tmp_path / "taken.db"
    target.write_bytes(b"not mine")
    result = cli("backup", "--to", str(target), database_url=url)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"python -m server_impl: {target} exists; backup never overwrites a file: name a new one"
    ]
    assert target.read_bytes() == b"not mine"


def test_a_postgresql_source_is_refused_pointing_to_pg_dump(tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    result = cli("backup", "--to", str(target), database_url="postgresql://u:secret@127.0.0.1:1/db")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "python -m server_impl: backup copies SQLite databases only; for"
        " postgresql://u:***@127.0.0.1:1/db use pg_dump --format=custom (restore with"
        " pg_restore), or copy --to sqlite:///FILE"
    ]
    assert not target.exists()


def test_a_target_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    url = new_sqlite_database(tmp_path)
    target = tmp_path / "nowhere/backup.db"
    result = cli("backup", "--to", str(target), database_url=url)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"python -m server_impl: Cannot write {target}: no folder {target.parent}"
    ]


def test_a_target_in_a_folder_that_cannot_be_written_fails_with_one_line_leaving_nothing(
    tmp_path: Path,
) -> None:
    url = new_sqlite_database(tmp_path)
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder):
        result = cli("backup", "--to", str(folder / "backup.db"), database_url=url)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"python -m server_impl: Cannot back up to {folder / 'backup.db'}: unable to open database"
    ]
    assert list(folder.iterdir()) == []


def test_a_backup_failing_part_way_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a full disk would: part of the copy written, then SQLite's error.
    url = new_sqlite_database(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()

    def full(_source: str, partial: Path) -> None:
        partial.write_bytes(b"SQLite format 3\x00" + bytes(4096))
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backups, "_vacuum_into", full)
    result = cli("backup", "--to", str(folder / "backup.db"), database_url=url)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"python -m server_impl: Cannot back up to {folder / 'backup.db'}: database or disk is full"
    ]
    assert list(folder.iterdir()) == []


def test_a_source_that_is_not_migrated_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    result = cli("backup", "--to", str(tmp_path / "backup.db"), database_url=url)
    assert result.returncode == 2
    assert "There is no database at" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "backup.db").exists() and not (tmp_path / "missing.db").exists()
