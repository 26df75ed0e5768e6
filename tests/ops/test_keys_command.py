"""`python -m server_impl keys …`: what an operator sees, and what ends up on disk."""

import asyncio
import base64
import re
import sqlite3
from pathlib import Path

import pytest

from server_impl.storage.sqlite import SqliteStore
from tests.support import cli, migrate, mint_key

KEY = re.compile(r"lck_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "keys.db"
    url = f"sqlite:///{path}"
    migrate(url)
    return url, path


def owner(path: Path, key_id: str) -> tuple[str, str]:
    async def look_up() -> tuple[str, str]:
        store = SqliteStore(str(path))
        await store.open()
        try:
            found = await store.api_key_owner(key_id)
            assert found is not None
            return found.user_id, found.organization_id
        finally:
            await store.close()

    return asyncio.run(look_up())


def test_create_prints_the_key_and_nothing_else(database: tuple[str, Path]) -> None:
    url, _ = database
    result = cli("keys", "create", "--organization", "acme", "--user", "alice", database_url=url)
    assert result.returncode == 0, result.stderr
    assert KEY.fullmatch(result.stdout.rstrip("\n")), result.stdout
    assert result.stdout.count("\n") == 1


def test_a_key_carries_at_least_128_random_bits(database: tuple[str, Path]) -> None:
    url, _ = database
    first = KEY.fullmatch(mint_key(url, "acme", "alice"))
    second = KEY.fullmatch(mint_key(url, "acme", "alice"))
    assert first and second
    secret = base64.urlsafe_b64decode(first["secret"] + "=")
    assert len(secret) * 8 >= 128
    assert first["secret"] != second["secret"] and first["id"] != second["id"]


def test_only_a_hash_of_the_key_is_stored(database: tuple[str, Path]) -> None:
    url, path = database
    match = KEY.fullmatch(mint_key(url, "acme", "alice"))
    assert match
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(FULL)")
    stored = b"".join(p.read_bytes() for p in path.parent.glob("keys.db*"))
    assert match["secret"].encode() not in stored
    assert match["id"].encode() in stored


def test_naming_an_existing_organization_or_user_reuses_it(database: tuple[str, Path]) -> None:
    url, path = database
    ids = {
        name: KEY.fullmatch(mint_key(url, org, user))["id"]  # type: ignore[index]
        for name, org, user in (
            ("alice1", "acme", "alice"),
            ("alice2", "acme", "alice"),
            ("bob", "acme", "bob"),
            ("alice_elsewhere", "globex", "alice"),
        )
    }
    alice1, alice2 = owner(path, ids["alice1"]), owner(path, ids["alice2"])
    bob, elsewhere = owner(path, ids["bob"]), owner(path, ids["alice_elsewhere"])
    assert alice1 == alice2
    assert bob[0] != alice1[0] and bob[1] == alice1[1]
    assert elsewhere[1] != alice1[1] and elsewhere[0] != alice1[0]
    assert re.fullmatch(r"user-[0-9a-f-]{36}", alice1[0])
    assert re.fullmatch(r"org-[0-9a-f-]{36}", alice1[1])


def test_create_reuses_an_organization_and_user_named_in_another_case(
    database: tuple[str, Path],
) -> None:
    url, path = database
    first = mint_key(url, "Acme", "Alice").split("_")[1]
    again = mint_key(url, " ACME ", "alice").split("_")[1]
    assert owner(path, first) == owner(path, again)
    listed = cli("keys", "list", database_url=url).stdout.splitlines()
    assert [line.split("  ")[1] for line in listed] == ["Acme/Alice", "Acme/Alice"]


def test_list_shows_id_owner_and_dates_but_never_the_key(database: tuple[str, Path]) -> None:
    url, _ = database
    alice = mint_key(url, "acme", "alice")
    carol = mint_key(url, "globex", "carol")
    cli("keys", "revoke", alice.split("_")[1], database_url=url)
    result = cli("keys", "list", database_url=url)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(alice.split("_")[1] + " ") and "acme/alice" in lines[0]
    assert lines[1].startswith(carol.split("_")[1] + " ") and "globex/carol" in lines[1]
    assert "created 20" in lines[0] and "revoked 20" in lines[0]
    assert "active" in lines[1]
    for key in (alice, carol):
        assert key.split("_", 2)[2] not in result.stdout


def test_list_escapes_control_characters_in_names_stored_before_names_were_checked(
    database: tuple[str, Path],
) -> None:
    url, path = database
    at = "2026-01-01T00:00:00.000000+00:00"
    forged_line = "acme/alice  created 2026-01-01T00:00:00+00:00  active\nfedcba9876543210  root"
    terminal = "\x1b[2K\r\u202enimda"  # erases the line, then prints "admin" right to left
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO organizations (id, name, created_at) VALUES ('org-1', ?, ?)",
            (forged_line, at),
        )
        db.execute(
            "INSERT INTO users (id, organization_id, name, created_at)"
            " VALUES ('user-1', 'org-1', ?, ?)",
            (terminal, at),
        )
        db.execute(
            "INSERT INTO api_keys (id, user_id, secret_hash, created_at)"
            " VALUES ('0123456789abcdef', 'user-1', 'h', ?)",
            (at,),
        )
    result = cli("keys", "list", database_url=url)
    assert result.returncode == 0, result.stderr
    line = result.stdout.removesuffix("\n")
    assert "\n" not in line and line.isprintable(), repr(result.stdout)
    assert line.startswith("0123456789abcdef  acme/alice  created 2026-01-01T00:00:00+00:00")
    assert "active\\nfedcba9876543210  root/\\x1b[2K\\r\\u202enimda  created" in line


def test_list_of_no_keys_prints_nothing(database: tuple[str, Path]) -> None:
    result = cli("keys", "list", database_url=database[0])
    assert result.returncode == 0 and result.stdout == ""


def test_revoke_exit_codes(database: tuple[str, Path]) -> None:
    url, _ = database
    key_id = mint_key(url, "acme", "alice").split("_")[1]
    first = cli("keys", "revoke", key_id, database_url=url)
    assert first.returncode == 0 and "revoked" in first.stdout
    again = cli("keys", "revoke", key_id, database_url=url)
    assert again.returncode == 0 and "already revoked" in again.stdout
    unknown = cli("keys", "revoke", "0000000000000000", database_url=url)
    assert unknown.returncode == 1 and "no key" in unknown.stderr and unknown.stdout == ""


def test_create_with_a_rate_and_burst_gives_the_key_its_own_limit_which_limit_changes(
    database: tuple[str, Path],
) -> None:
    url, _ = database
    created = cli(
        "keys", "create", "--organization", "acme", "--user", "bot",
        "--rate", "30/min", "--burst", "5", database_url=url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.split("_")[1]
    assert (
        cli("keys", "list", database_url=url)
        .stdout.rstrip("\n")
        .endswith("active  limit 30/min, 5 at once")
    )
    changed = cli("keys", "limit", key_id, "--rate", "100/s", "--burst", "200", database_url=url)
    assert (changed.returncode, changed.stdout) == (0, f"{key_id}: limit 100/s, 200 at once\n")
    assert "limit 100/s, 200 at once" in cli("keys", "list", database_url=url).stdout
    cleared = cli("keys", "limit", key_id, "--clear", database_url=url)
    assert (cleared.returncode, cleared.stdout) == (0, f"{key_id}: the server's default limit\n")
    assert cli("keys", "list", database_url=url).stdout.rstrip("\n").endswith("active")
    unknown = cli("keys", "limit", "0000000000000000", "--clear", database_url=url)
    assert unknown.returncode == 1 and "no key" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("create", "--organization", "acme", "--user", "bot", "--rate", "5/s"), "go together"),
        (("create", "--organization", "acme", "--user", "bot", "--burst", "5"), "go together"),
        (
            ("create", "--organization", "acme", "--user", "bot", "--rate", "5/h", "--burst", "5"),
            "'5/h' is not a rate",
        ),
        (
            ("create", "--organization", "acme", "--user", "bot", "--rate", "1/s", "--burst", "0"),
            "a burst is from 1 to",
        ),
        (("limit", "0000000000000000"), "either --rate with --burst, or --clear"),
        (
            ("limit", "0000000000000000", "--clear", "--rate", "1/s", "--burst", "1"),
            "either --rate with --burst, or --clear",
        ),
    ],
)
def test_a_bad_limit_is_refused_in_one_line_with_exit_2_storing_nothing(
    database: tuple[str, Path], args: tuple[str, ...], refusal: str
) -> None:
    url, _ = database
    result = cli("keys", *args, database_url=url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and refusal in result.stderr, result.stderr
    assert cli("keys", "list", database_url=url).stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "create", "--user", "alice"),
        ("keys", "create", "--organization", "acme"),
        ("keys", "create", "--organization", " ", "--user", "alice"),
        ("keys", "revoke"),
        ("keys",),
    ],
)
def test_usage_errors_exit_2_and_store_nothing(
    database: tuple[str, Path], args: tuple[str, ...]
) -> None:
    url, _ = database
    result = cli(*args, database_url=url)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert cli("keys", "list", database_url=url).stdout == ""


@pytest.mark.parametrize(
    ("option", "name", "refusal"),
    [
        ("--organization", "acme\n0123456789abcdef  root/admin", "U+000A, a control character"),
        ("--user", "\x1b[2J\x1b[31malice", "U+001B, a control character"),
        ("--user", "\u202enimda", "U+202E, a format character"),
        ("--organization", "x" * 120_000, "at most 100 characters, not 120000"),
        ("--user", " \t ", "a character other than white space"),
    ],
    ids=["newline", "ansi", "bidi", "120-KB", "blank"],
)
def test_create_refuses_a_bad_name_with_exit_2_and_says_why(
    database: tuple[str, Path], option: str, name: str, refusal: str
) -> None:
    url, _ = database
    names = {"--organization": "acme", "--user": "alice", option: name}
    result = cli(
        "keys", "create", *(item for pair in names.items() for item in pair), database_url=url
    )
    assert result.returncode == 2 and result.stdout == ""
    error = result.stderr.splitlines()[-1]
    assert f": error: argument {option}: " in error and refusal in error, result.stderr[:500]
    assert len(result.stderr) < 1000 and all(
        line.isprintable() for line in result.stderr.splitlines()
    )
    assert cli("keys", "list", database_url=url).stdout == ""


def test_migrate_is_idempotent_and_names_the_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = cli("migrate", database_url=url)
    second = cli("migrate", database_url=url)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert re.search(r"revision \d{4}", first.stdout)
