"""Commands refuse what they cannot use with one line and exit code 2, creating nothing."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from server_impl.ops import cli as command_line
from server_impl.storage import migrate as migrations
from tests.support import cli, migrate, new_sqlite_database, read_only

COMMANDS = [
    ("serve", "--port", "1"),
    ("keys", "list"),
    ("keys", "create", "--organization", "o", "--user", "u"),
]


def refused_in_one_line(args: tuple[str, ...], url: str) -> str:
    result = cli(*args, database_url=url)
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m server_impl: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("args", [*COMMANDS, ("migrate",)])
@pytest.mark.parametrize("url", ["mysql://host/db", "sqlite:///", "postgres"])
def test_an_unsupported_database_url_is_refused(args: tuple[str, ...], url: str) -> None:
    assert "Unsupported database URL" in refused_in_one_line(args, url)


@pytest.mark.parametrize("args", [*COMMANDS, ("migrate",)])
def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_was(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database\n" * 100)
    line = refused_in_one_line(args, f"sqlite:///{garbage}")
    assert "file is not a database" in line
    assert garbage.read_bytes() == b"not a database\n" * 100


@pytest.mark.parametrize("args", COMMANDS)
def test_a_database_that_does_not_exist_is_refused_and_not_created(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    path = tmp_path / "missing" / "conversations.db"
    line = refused_in_one_line(args, f"sqlite:///{path}")
    assert f"python -m server_impl migrate --database-url sqlite:///{path}" in line
    assert not path.parent.exists()


@pytest.mark.parametrize("args", COMMANDS)
def test_a_database_not_migrated_to_this_release_is_refused(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0001")
    line = refused_in_one_line(args, url)
    assert "revision 0001" in line and "python -m server_impl migrate" in line


@pytest.mark.parametrize("args", [*COMMANDS, ("migrate",)])
def test_an_unreachable_postgresql_is_refused_without_showing_its_password(
    args: tuple[str, ...],
) -> None:
    line = refused_in_one_line(args, "postgresql://alice:s3cret@127.0.0.1:1/conversations")
    assert "Cannot use the database at postgresql://alice:***@127.0.0.1:1/conversations" in line
    assert "s3cret" not in line


@pytest.mark.parametrize(
    ("option", "value"), [("--port", "70000"), ("--idempotency-key-ttl-s", "0")]
)
def test_a_setting_out_of_range_is_refused_naming_the_option(
    tmp_path: Path, option: str, value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    migrate(url)
    line = refused_in_one_line(("serve", option, value), url)
    variable = "CONVERSATIONS_" + option.removeprefix("--").replace("-", "_").upper()
    assert f"{option} (or {variable})" in line


@pytest.mark.parametrize("args", [*COMMANDS, ("migrate",)])
def test_a_database_of_a_newer_release_is_refused_naming_both_revisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    url = new_sqlite_database(tmp_path)
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    assert command_line.main([*args, "--database-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    head = migrations.head_revision()
    assert captured.err == (
        f"{command_line.PROG}: The database at {url} is newer than this release: its schema is"
        f" at revision 0099, and this release knows revisions up to {head}; run the release"
        " that migrated it, or a later one\n"
    )


@pytest.mark.parametrize("args", COMMANDS)
@pytest.mark.parametrize(
    ("made_read_only", "reason"),
    [("file", "attempt to write a readonly database"), ("folder", "unable to open database file")],
)
def test_a_database_that_cannot_be_written_is_refused_before_anything_is_served(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    made_read_only: str,
    reason: str,
) -> None:
    url = new_sqlite_database(tmp_path)
    path = Path(url.removeprefix("sqlite:///"))
    with read_only(path if made_read_only == "file" else path.parent):
        assert command_line.main([*args, "--database-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{command_line.PROG}: Cannot use the database at {url}: {reason}\n"
