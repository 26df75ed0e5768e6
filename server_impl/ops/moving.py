"""`backup` and `copy`: a database's data taken elsewhere, while it is being served."""

import argparse
import sys
from pathlib import Path
from typing import Any

from server_impl.storage import backup as backups
from server_impl.storage import migrate
from server_impl.storage.urls import DatabaseUrl

COMMANDS = ("backup",)


def add_commands(commands: Any, database: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands to the parser's `commands`; database gives --database-url."""
    summary = (
        "Copies a SQLite database, while it is served, into a new file: a consistent snapshot"
        " of every write committed before it began. Restore by pointing --database-url at it."
        " For PostgreSQL, use pg_dump and pg_restore."
    )
    backup = commands.add_parser("backup", parents=[database], help=summary, description=summary)
    backup.add_argument(
        "--to",
        required=True,
        type=Path,
        metavar="FILE",
        help="The new file; an existing one is refused, never overwritten.",
    )


def run(args: argparse.Namespace, database_url: str, prog: str) -> int:
    try:
        if DatabaseUrl.parse(database_url).engine == "sqlite":
            migrate.require_current(database_url, command_name=prog)
        size = backups.backup(database_url, args.to)
    except backups.BackupRefused as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    except backups.BackupFailed as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    print(f"Backed up to {args.to} ({size} bytes).")
    return 0
