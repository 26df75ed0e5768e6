"""The command line: `conversations-server` (or `python -m server_impl`). Parses it, runs the
subcommand's module (serve_command.py, key_commands.py, moving.py; `migrate` here), and says
every refusal that is the operator's to fix in one line on stderr, with exit status 2."""

import argparse
import asyncio
import sys

from pydantic import ValidationError

from server_impl.storage import migrate
from server_impl.storage.urls import UnsupportedDatabaseUrl

from . import key_commands, moving, serve_command
from .commands import Refused, settings_given, with_store

PROG = "conversations-server"


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serves Letta's Conversations API from openapi.yaml, and administers it.",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        help="Where the data is kept: sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB."
        " Defaults to CONVERSATIONS_DATABASE_URL, else sqlite:///var/conversations.db.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    summary = "Brings the database schema to this release's revision; does nothing if it is there."
    commands.add_parser("migrate", parents=[database], help=summary, description=summary)
    serve_command.add_command(commands, database)
    key_commands.add_commands(commands, database)
    moving.add_commands(commands, database)
    return parser


def main(argv: list[str] | None = None, *, prog: str = PROG) -> int:
    args = _parser(prog).parse_args(argv)
    try:
        return _run(args, prog)
    except (
        ValidationError,
        UnsupportedDatabaseUrl,
        migrate.SchemaOutOfDate,
        migrate.DatabaseUnusable,
        Refused,
    ) as error:
        # The operator's to fix, so one line saying what, rather than a traceback.
        print(f"{prog}: {_one_line(error)}", file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        name = "_".join(str(part) for part in first["loc"])
        # A validator's own words, without pydantic's "Value error, " before them.
        reason = first["ctx"]["error"] if first["type"] == "value_error" else first["msg"]
        if not name:  # a rule across settings, whose message names them
            return str(reason)
        return f"--{name.replace('_', '-')} (or CONVERSATIONS_{name.upper()}): {reason}"
    return str(error)


def _run(args: argparse.Namespace, prog: str) -> int:
    database_url = settings_given(args, "database_url").database_url
    if args.command == "migrate":
        print(f"The database schema is at revision {migrate.upgrade(database_url)}.")
        return 0
    if args.command in moving.COMMANDS:
        return moving.run(args, database_url, prog)
    migrate.require_current(database_url, command_name=prog)
    migrate.require_usable(database_url)
    if args.command == "serve":
        return serve_command.run(args, prog)
    return asyncio.run(with_store(database_url, lambda store: key_commands.run(args, store)))
