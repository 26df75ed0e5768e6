"""`copy --from URL --to URL`: a whole database, SQLite to PostgreSQL and back, row for row, while
the source is served; every key keeps working. Bad input is one line and a non-zero exit, and
a copy that fails writes nothing."""

import asyncio
import json
import os
import pty
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from server_impl.ops.cli import main
from server_impl.storage import copy as copies
from server_impl.storage import copy_sides, store_for
from server_impl.storage import migrate as migrations
from server_impl.storage.urls import DatabaseUrl, shown
from tests.support import (
    AGENT,
    ENGINES,
    ROOT,
    bearer,
    cli,
    in_process,
    mint_key_in_process,
    new_sqlite_database,
)

TABLES = (
    "organizations",
    "users",
    "api_keys",
    "key_allowances",
    "conversations",
    "idempotency_keys",
)
EXPIRED = "2000-01-01T00:00:00.000000+00:00"
NEXT = re.compile(r'<[^>]*[?&]after=([^&>]*)[^>]*>; rel="next"')


def _execute(url: str, statement: str) -> None:
    parsed = DatabaseUrl.parse(url)
    if parsed.engine == "sqlite":
        with closing(sqlite3.connect(parsed.sqlite_path)) as db:
            db.execute(statement)
            db.commit()
        return

    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    # Also from inside a running event loop (copy's progress).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def _normal(value: Any) -> Any:
    """A stored value as both engines would hold it: times as UTC datetimes, flags as 0/1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", value):
        return datetime.fromisoformat(value).astimezone(UTC)
    return value


def _rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every copied table, and the server's secrets, read straight from the
    database, in a stable order."""
    parsed = DatabaseUrl.parse(url)
    found: dict[str, list[dict[str, Any]]] = {}
    if parsed.engine == "sqlite":
        with closing(sqlite3.connect(parsed.sqlite_path)) as db:
            db.row_factory = sqlite3.Row
            for table in (*TABLES, "server_secrets"):
                rows = [dict(row) for row in db.execute(f"SELECT * FROM {table}")]
                found[table] = rows
    else:

        async def read() -> None:
            connection = await asyncpg.connect(url)
            try:
                for table in (*TABLES, "server_secrets"):
                    rows = await connection.fetch(f"SELECT * FROM {table}")
                    found[table] = [dict(row) for row in rows]
            finally:
                await connection.close()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, read()).result()
    return {
        table: sorted(
            ({name: _normal(value) for name, value in row.items()} for row in rows),
            key=lambda row: json.dumps(row, default=str, sort_keys=True),
        )
        for table, rows in found.items()
    }


def _indexes(url: str) -> list[tuple[str, str]]:
    parsed = DatabaseUrl.parse(url)
    if parsed.engine == "sqlite":
        with closing(sqlite3.connect(parsed.sqlite_path)) as db:
            return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))

    async def read() -> list[tuple[str, str]]:
        connection = await asyncpg.connect(url)
        try:
            found = await connection.fetch("SELECT indexname, indexdef FROM pg_indexes")
            return sorted((row[0], row[1]) for row in found)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


@pytest.fixture
def served() -> Iterator[Callable[[str], TestClient]]:
    """Serves a database's app in this process; each stays open until the test ends."""
    opened: list[Any] = []

    def serve(url: str) -> TestClient:
        context = in_process(store_for(url))
        opened.append(context)
        return context.__enter__()

    yield serve
    for context in reversed(opened):
        context.__exit__(None, None, None)


def _fill(url: str, http: TestClient) -> dict[str, str]:
    """Every kind of row: organizations, users, active and revoked keys, a key with a rate limit
    of its own and the allowances of the keys used, conversations with
    every field, updated, archived, hidden, soft-deleted and default, idempotency records
    unexpired and expired. Returns the keys by user."""
    keys = {
        "alice": mint_key_in_process(url, "acme", "alice"),
        "bob": mint_key_in_process(url, "acme", "bob"),
        "carol": mint_key_in_process(url, "globex", "carol"),
        "revoked": mint_key_in_process(url, "globex", "dave"),
    }
    key_id = keys["revoked"].split("_")[1]
    assert cli("keys", "revoke", key_id, database_url=url).returncode == 0
    bob_id = keys["bob"].split("_")[1]
    limited = cli("keys", "limit", bob_id, "--rate", "5/s", "--burst", "7", database_url=url)
    assert limited.returncode == 0, limited.stderr
    alice, carol = bearer(keys["alice"]), bearer(keys["carol"])
    full = {
        "summary": "every field",
        "description": "a description",
        "model": "openai/gpt-4o",
        "model_settings": {"provider_type": "openai", "temperature": 0.5},
        "context_window_limit": 8192,
        "hidden": True,
    }
    created = http.post(
        "/conversations/",
        params={"agent_id": AGENT},
        json=full,
        headers={**alice, "Idempotency-Key": "kept"},
    )
    assert created.status_code == 200, created.text
    changed = http.patch(
        f"/conversations/{created.json()['id']}",
        json={"last_message_at": "2026-12-01T10:00:00.123456Z", "archived": True},
        headers=alice,
    )
    assert changed.status_code == 200, changed.text
    gone = http.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
    assert http.delete(f"/conversations/{gone.json()['id']}", headers=alice).status_code == 200
    default = http.get("/conversations/default", params={"agent_id": AGENT}, headers=alice)
    assert default.status_code == 200, default.text
    for index in range(5):
        made = http.post(
            "/conversations/",
            params={"agent_id": AGENT},
            json={"summary": f"carol {index}"},
            headers={**carol, "Idempotency-Key": f"carol-{index}"},
        )
        assert made.status_code == 200, made.text
    _execute(url, f"UPDATE idempotency_keys SET expires_at = '{EXPIRED}' WHERE key = 'carol-0'")
    _execute(
        url,
        "UPDATE conversations SET in_context_message_ids = '[\"message-1\"]',"
        f" isolated_block_ids = '[\"block-1\"]' WHERE id = '{created.json()['id']}'",
    )
    return keys


def _copy(capsys: pytest.CaptureFixture[str], source: str, target: str) -> tuple[int, str, str]:
    code = main(["copy", "--from", source, "--to", target])
    out, err = capsys.readouterr()
    return code, out, err


def _engines(*pair: str) -> None:
    if not set(pair) <= set(ENGINES):
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")


@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_a_copy_holds_every_row_and_every_key_still_authenticates(
    new_database: Callable[[str], str],
    served: Callable[[str], TestClient],
    capsys: pytest.CaptureFixture[str],
    source: str,
    target: str,
) -> None:
    _engines(source, target)
    source_url, target_url = new_database(source), new_database(target)
    http = served(source_url)
    keys = _fill(source_url, http)
    carol = bearer(keys["carol"])
    first_page = http.get("/conversations/", params={"limit": 2}, headers=carol)
    cursor = NEXT.search(first_page.headers["link"])
    assert cursor is not None
    rest = http.get("/conversations/", params={"limit": 10, "after": cursor[1]}, headers=carol)

    code, out, err = _copy(capsys, source_url, target_url)

    assert (code, err) == (0, ""), err
    for table in (*TABLES, "server_secrets"):
        assert re.search(rf"^  {table} .*$", out, flags=re.MULTILINE)
    before, after = _rows(source_url), _rows(target_url)
    expired = [row for row in before["idempotency_keys"] if row["key"] == "carol-0"]
    assert len(expired) == 1
    before["idempotency_keys"].remove(expired[0])
    assert after == before
    assert out.startswith(f"Copied {sum(map(len, after.values()))} rows from ")
    assert [len(after[table]) for table in TABLES] == [2, 4, 4, 2, 8, 5]

    # Whatever the copy does to load faster, the target keeps every index its migration made.
    assert _indexes(target_url) == _indexes(new_database(target))
    copied = served(target_url)
    for user in ("alice", "bob", "carol"):
        answer = copied.get("/conversations/", headers=bearer(keys[user]))
        assert answer.status_code == 200, (user, answer.text)
    assert copied.get("/conversations/", headers=bearer(keys["revoked"])).status_code == 401
    # The cursor the source handed out reads the same page on the target.
    same = copied.get("/conversations/", params={"limit": 10, "after": cursor[1]}, headers=carol)
    assert same.json() == rest.json()
    replay = copied.post(
        "/conversations/",
        params={"agent_id": AGENT},
        json={"summary": "carol 1"},
        headers={**carol, "Idempotency-Key": "carol-1"},
    )
    assert replay.headers["idempotent-replayed"] == "true"
    # New rows take their place after the copied ones.
    made = copied.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=carol)
    assert made.status_code == 200, made.text
    newest = copied.get("/conversations/", params={"limit": 1}, headers=carol)
    assert newest.json()[0]["id"] == made.json()["id"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_copy_is_the_snapshot_it_began_with_while_the_source_is_written(
    new_database: Callable[[str], str],
    served: Callable[[str], TestClient],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
) -> None:
    source_url = new_database(engine)
    target_url = new_database("sqlite" if engine == "postgresql" else engine)
    http = served(source_url)
    alice = bearer(mint_key_in_process(source_url))
    for _ in range(6):
        http.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
    snapshot = _rows(source_url)
    written: list[str] = []
    advance = copies._Quiet.advance

    def write_meanwhile(self: Any, rows: int) -> None:
        advance(self, rows)
        made = http.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=alice)
        written.append(made.json()["id"])

    monkeypatch.setattr(copy_sides, "BATCH_ROWS", 2)
    monkeypatch.setattr(copies._Quiet, "advance", write_meanwhile)
    code, _, err = _copy(capsys, source_url, target_url)
    assert (code, err) == (0, "")
    assert len(written) >= 3
    assert _rows(target_url) == snapshot
    assert len(_rows(source_url)["conversations"]) == 6 + len(written)


def _empty(url: str) -> bool:
    rows = _rows(url)
    return all(rows[table] == [] for table in TABLES)


def test_a_target_that_holds_data_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    source = new_sqlite_database(tmp_path / "source")
    target = new_sqlite_database(tmp_path / "target")
    mint_key_in_process(source)
    mint_key_in_process(target, "initech", "peter")
    before = _rows(target)
    code, out, err = _copy(capsys, source, target)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"conversations-server: The target {target} is not empty (organizations holds rows);"
        " copy only into a new, migrated database"
    ]
    assert _rows(target) == before


def test_a_target_at_another_revision_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = new_sqlite_database(tmp_path)
    mint_key_in_process(source)
    target = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(target, "0008")
    code, out, err = _copy(capsys, source, target)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"conversations-server: The target {target} is at revision 0008, and the copy needs"
        f" {migrations.head_revision()}; migrate it with this release first:"
        f" conversations-server migrate --database-url {target}"
    ]
    assert migrations.current_revision(target) == "0008"
    with closing(sqlite3.connect(DatabaseUrl.parse(target).sqlite_path)) as db:
        for table in ("organizations", "users", "api_keys", "conversations"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_a_target_not_migrated_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = new_sqlite_database(tmp_path)
    target = tmp_path / "new.db"
    code, _, err = _copy(capsys, source, f"sqlite:///{target}")
    assert code == 2
    assert len(err.splitlines()) == 1 and "is at revision none" in err
    assert not target.exists()


@pytest.mark.parametrize(
    ("source", "target", "said"),
    [
        ("mysql://u@h/db", "sqlite:///{tmp}/t.db", "Unsupported database URL 'mysql://u@h/db'"),
        ("sqlite:///{tmp}/nothing.db", "sqlite:///{tmp}/t.db", "There is no database at"),
        ("sqlite:///{tmp}/junk.db", "sqlite:///{tmp}/t.db", "file is not a database"),
        ("sqlite:///{tmp}/t.db", "sqlite:///{tmp}/t.db", "--from and --to name the same database"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_writing_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, target: str, said: str
) -> None:
    new_sqlite_database(tmp_path)
    (tmp_path / "conversations.db").rename(tmp_path / "t.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    before = _rows(f"sqlite:///{tmp_path / 't.db'}")
    code, out, err = _copy(capsys, source.format(tmp=tmp_path), target.format(tmp=tmp_path))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and said in err, err
    assert _rows(f"sqlite:///{tmp_path / 't.db'}") == before
    assert not (tmp_path / "nothing.db").exists()


@pytest.mark.parametrize("target_engine", ENGINES)
@pytest.mark.parametrize("failure", [sqlite3.OperationalError, KeyboardInterrupt])
def test_a_copy_failing_or_interrupted_part_way_writes_nothing(
    new_database: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target_engine: str,
    failure: type[BaseException],
) -> None:
    source = new_database("sqlite")
    target = new_database(target_engine)
    for user in ("alice", "bob", "carol"):
        mint_key_in_process(source, "acme", user)
    side = copy_sides.SqliteSide if target_engine == "sqlite" else copy_sides.PostgresSide
    insert = side.insert
    calls: list[str] = []

    async def fail_on_the_third(self: Any, table: str, names: Any, rows: Any) -> None:
        calls.append(table)
        if len(calls) == 3:  # organizations and users written, in the transaction
            raise failure("database or disk is full")
        await insert(self, table, names, rows)

    monkeypatch.setattr(side, "insert", fail_on_the_third)
    if failure is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            _copy(capsys, source, target)
    else:
        code, out, err = _copy(capsys, source, target)
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f"conversations-server: The copy to {shown(target)} failed and wrote nothing:"
            " database or disk is full"
        ]
    assert calls == ["organizations", "users", "api_keys"]
    assert _empty(target)


def test_on_a_terminal_the_copy_shows_its_progress_in_rows_per_second(tmp_path: Path) -> None:
    # A process of its own: whether stderr is a terminal is what is tested.
    (tmp_path / "source").mkdir()
    source = new_sqlite_database(tmp_path / "source")
    target = new_sqlite_database(tmp_path)
    mint_key_in_process(source)
    controller, terminal = pty.openpty()
    with closing(os.fdopen(controller, "rb", buffering=0)) as screen:
        process = subprocess.Popen(
            [sys.executable, "-m", "server_impl", "copy", "--from", source, "--to", target],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
        os.close(terminal)
        shown_there = b""
        with suppress(OSError):  # EIO once the process has closed the terminal
            while chunk := screen.read(4096):
                shown_there += chunk
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert b"rows/s" in shown_there and b"conversations" in shown_there
    assert out.decode().startswith("Copied 4 rows from ")
