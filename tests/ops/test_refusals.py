"""Commands refuse what they cannot use with one line and exit code 2, creating nothing."""

from pathlib import Path

import pytest

from server_impl.storage import migrate as migrations
from tests.support import cli, migrate

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
