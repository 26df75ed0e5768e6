"""The big databases of `make bench --big`, built once and kept between runs.

bench/run.py's database (one organization of N conversations, `run.prepare`) is built once per
engine, size and migration revision of the checkout that serves it, into CACHE; every part of a
run that needs it (the big GET, PATCH and list rows, bench/isolation.py) and every later run
works on a copy of it, so that what one writes reaches no other. SQLite: the file, copied.
PostgreSQL: a template database in a cluster kept in CACHE/postgresql (the one
bench/search.py keeps its own database in), copied by CREATE DATABASE ... TEMPLATE; the copies
are dropped when the run ends (`drop_copies`). A cache of another revision is not used: the
database is built again, beside it, under the new revision's name. Delete CACHE to free the
disk (about 0.4 GB per 10^6 conversations and engine).
"""

import asyncio
import json
import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import asdict
from functools import partial
from pathlib import Path

import asyncpg

from bench import run, search
from server_impl.storage import migrate
from testbed import ROOT
from testbed.postgres import PostgresCluster

CACHE = search.CACHE
"""The folder bench/search.py keeps its database in, and the cluster of both."""
COPY_PREFIX = "t_"
"""The name of every copy PostgresCluster.new_database makes; no template starts with it."""


def revision(checkout: Path) -> str:
    """The migration revision that checkout's code migrates to."""
    if checkout == ROOT:
        return migrate.head_revision()
    return subprocess.run(
        [
            str(checkout / ".venv" / "bin" / "python"),
            "-c",
            "from server_impl.storage import migrate; print(migrate.head_revision())",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]


def _build(checkout: Path, url: str, rows: int) -> run.Database:
    started = time.perf_counter()
    build = run.prepare if checkout == ROOT else partial(run.prepare_in, checkout)
    database = build(url, rows)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return database


def _as(kept: Path, url: str) -> run.Database:
    return run.Database(**{**json.loads(kept.read_text()), "url": url})


def sqlite_copy(rows: int, target: Path, checkout: Path = ROOT) -> run.Database:
    """A copy at target of the cached SQLite database of rows conversations, built first if
    need be by checkout's code."""
    key = f"run-{rows}-{revision(checkout)}"
    kept, names = CACHE / f"{key}.db", CACHE / f"{key}.json"
    if not names.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # Built under another name, so that a build cut short is never taken for the cache.
        building = CACHE / f"{key}.building.db"
        building.unlink(missing_ok=True)
        print(f"sqlite: building {rows:,} conversations into {kept}", flush=True)
        database = _build(checkout, f"sqlite:///{building}", rows)
        # The whole database in its one file: closed, the last connection removes the log.
        with closing(sqlite3.connect(building)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        building.rename(kept)
        names.write_text(json.dumps(asdict(database)))
    shutil.copyfile(kept, target)
    return _as(names, f"sqlite:///{target}")


async def _admin(cluster: PostgresCluster, statement: str, *args: object) -> object:
    connection = await asyncpg.connect(cluster.url())
    try:
        return await connection.fetchval(statement, *args)
    finally:
        await connection.close()


def postgresql_copy(rows: int, cluster: PostgresCluster, checkout: Path = ROOT) -> run.Database:
    """A new database of cluster copied from its template of rows conversations, built first
    if need be by checkout's code. Kept between runs when cluster is (search.KeptCluster)."""
    template = f"run_{rows}_{revision(checkout)}"
    names = cluster.folder / f"{template}.json"
    found = asyncio.run(_admin(cluster, "SELECT 1 FROM pg_database WHERE datname = $1", template))
    if not (found and names.exists()):
        print(f"postgresql: building {rows:,} conversations into {template}", flush=True)
        asyncio.run(_admin(cluster, f'DROP DATABASE IF EXISTS "{template}"'))
        asyncio.run(_admin(cluster, f'CREATE DATABASE "{template}"'))
        names.write_text(json.dumps(asdict(_build(checkout, cluster.url(template), rows))))
    return _as(names, cluster.new_database(template))


def drop_copies(cluster: PostgresCluster) -> None:
    """Drops every copy made of a template (a run's, or one a run cut short left)."""

    async def drop() -> None:
        connection = await asyncpg.connect(cluster.url())
        try:
            for record in await connection.fetch(
                "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", COPY_PREFIX
            ):
                await connection.execute(f'DROP DATABASE "{record["datname"]}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())
