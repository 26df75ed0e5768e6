"""`backup` and `copy`: a database's data taken elsewhere, while it is being served."""

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from server_impl.storage import backup as backups
from server_impl.storage import copy as copies
from server_impl.storage import migrate
from server_impl.storage.urls import DatabaseUrl, shown

COMMANDS = ("backup", "copy")


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
    summary = (
        "Copies every organization, user, API key (as its hash), conversation and unexpired"
        " idempotency record, and the list-cursor key, from one database to another, SQLite or"
        " PostgreSQL either way, while the source is served: one consistent snapshot, written in"
        " one transaction into a migrated, empty target, verified table by table before it is"
        " committed. A copy that fails writes nothing."
    )
    copy = commands.add_parser("copy", help=summary, description=summary)
    for option, what in (("--from", "The source"), ("--to", "The target: migrated and empty")):
        copy.add_argument(
            option,
            required=True,
            metavar="URL",
            dest=option.removeprefix("--") + "_url",
            help=f"{what}: sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB.",
        )


def run(args: argparse.Namespace, database_url: str, prog: str) -> int:
    if args.command == "copy":
        return _copy(args.from_url, args.to_url, prog)
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


class _RowsPerSecond(ProgressColumn):
    """The table's rows per second so far: rich's own speed needs samples a small table never
    gives it."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        return Text(f"{task.completed / elapsed:,.0f} rows/s" if elapsed else "")


class _Shown:
    """copy's progress drawn by rich on the terminal: a bar per table, with rows per second."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: Any = None

    def table(self, name: str, rows: int) -> None:
        self._task = self._progress.add_task(name, total=rows)

    def advance(self, rows: int) -> None:
        self._progress.advance(self._task, rows)


def _copy(source: str, target: str, prog: str) -> int:
    try:
        copies.check(source, target, command_name=prog)
        if sys.stderr.isatty():
            with Progress(
                TextColumn("{task.description:<17}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RowsPerSecond(),
                console=Console(stderr=True),
            ) as shown_progress:
                figures = asyncio.run(copies.copy(source, target, progress=_Shown(shown_progress)))
        else:
            figures = asyncio.run(copies.copy(source, target))
    except copies.CopyRefused as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    except copies.CopyFailed as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    rate = figures.rows / figures.seconds if figures.seconds else 0.0
    print(
        f"Copied {figures.rows} rows from {shown(source)} to {shown(target)} in"
        f" {figures.seconds:.1f} s ({rate:,.0f} rows/s), verified table by table:"
    )
    print(f"  {'table':<17} {'source rows':>12} {'checksum':<16}  {'target rows':>12} checksum")
    for table, read in figures.source.items():
        written = figures.target[table]
        print(
            f"  {table:<17} {read.rows:>12} {read.checksum:016x}  {written.rows:>12}"
            f" {written.checksum:016x}"
        )
    return 0
