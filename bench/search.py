"""`summary_search` at 10^6 conversations in one organization, on both engines.

    python -m bench.search [--engines sqlite,postgresql] [--cache /tmp/bench-cache]
                           [--rows 1000000] [--calls 21]

Builds the database once per engine into --cache and reuses it (a SQLite file; a PostgreSQL
cluster kept in a folder, started for the run and stopped after): the rows are written at
migration 0008, before the text index existed, and then migrated to the newest revision, so
the build also times the upgrade of a populated database. Summaries are three to six words of
a made-up vocabulary; ONE is a word that one conversation holds and HALF one that every other
conversation holds; a hundred agents, a tenth of the conversations archived, nine tenths with
a last message.

Reports, for each term combined with agent_id (none, or the agent of ONE's conversation),
archive_status and order_by, the p50 and p99 of `--calls` first pages of 50 read through the
store (SqlStore.list_page, in process: the database's work and the rows' decoding, without
HTTP), and how many conversations the page held.
"""

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

import asyncpg

from server_impl.domain.ports import ArchiveStatus, OrderBy, Page
from server_impl.storage import migrate, store_for
from testbed import free_port
from testbed.postgres import USER, PostgresCluster, bin_dir

ORG = "org-00000000-0000-4000-8000-0000000be0c4"
AGENTS = [f"agent-00000000-0000-4000-8000-{number:012d}" for number in range(100)]
USER_ID = "user-00000000-0000-4000-8000-000000000001"
ONE, HALF = "zanzibarite", "planning"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
LIMIT = 50
CACHE = Path("/tmp/bench-cache")
"""Where the databases are built once and kept, beside bench/cache.py's."""

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "se", "di", "po", "gu", "fe", "ho", "ba"]


def _vocabulary(rng: random.Random) -> list[str]:
    words = {"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(3_000)}
    return sorted(words)


def _conversation_id(seq: int) -> str:
    uuid = f"{seq:032x}"
    return f"conv-{uuid[:8]}-{uuid[8:12]}-4{uuid[13:16]}-8{uuid[17:20]}-{uuid[20:]}"


def one_at(count: int) -> int:
    """The seq of the one conversation that holds ONE."""
    return count * 7 // 9


def _rows(
    count: int,
) -> Iterator[tuple[int, str, str, str, datetime, datetime | None, datetime | None]]:
    """(seq, id, agent_id, summary, created_at, last_message_at, archived_at) in order."""
    rng = random.Random(23)
    words = _vocabulary(rng)
    for seq in range(1, count + 1):
        summary = rng.choices(words, k=rng.randint(3, 6))
        if seq % 2 == 0:
            summary.insert(rng.randrange(len(summary) + 1), HALF)
        if seq == one_at(count):
            summary.insert(1, ONE)
        created = T0 + timedelta(seconds=seq)
        last_message = None if rng.random() < 0.1 else created + timedelta(hours=rng.random() * 1e4)
        archived = None if rng.random() >= 0.1 or seq == one_at(count) else created + timedelta(1)
        yield (
            seq,
            _conversation_id(seq),
            rng.choice(AGENTS),
            " ".join(summary).capitalize(),
            created,
            last_message,
            archived,
        )


_COLUMNS = (
    "seq, id, agent_id, summary, created_at, last_message_at, archived_at,"
    " organization_id, created_by_id, updated_at, last_updated_by_id"
)


def _fill_sqlite(path: Path, count: int) -> None:
    def stored(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(timespec="microseconds")

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.executemany(
        f"INSERT INTO conversations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                seq,
                cid,
                agent,
                summary,
                stored(made),
                stored(message),
                stored(archived),
                ORG,
                USER_ID,
                stored(made),
                USER_ID,
            )
            for seq, cid, agent, summary, made, message, archived in _rows(count)
        ),  # fmt: skip
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


async def _fill_postgres(url: str, count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.copy_records_to_table(
            "conversations",
            columns=[name.strip() for name in _COLUMNS.split(",")],
            records=(
                (seq, cid, agent, summary, made, message, archived, ORG, USER_ID, made, USER_ID)
                for seq, cid, agent, summary, made, message, archived in _rows(count)
            ),
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('conversations', 'seq'), $1)", count
        )
    finally:
        await connection.close()


async def _analyze(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE conversations")
    finally:
        await connection.close()


class KeptCluster(PostgresCluster):
    """A PostgreSQL cluster whose data stays in folder between runs."""

    def __init__(self, folder: Path) -> None:
        self.bin = bin_dir()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if not self.data.exists():
            folder.mkdir(parents=True, exist_ok=True)
            if self._as_postgres:
                shutil.chown(folder, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        self.start()


def build(engine: str, cache: Path, count: int, cluster: KeptCluster | None) -> str:
    """The URL of the cached database of engine, built first if need be."""
    if engine == "sqlite":
        path = cache / f"search-{count}.db"
        url = f"sqlite:///{path}"
        if path.exists() and migrate.current_revision(url) == migrate.head_revision():
            return url
        path.unlink(missing_ok=True)
        migrate.upgrade(url, "0008")
        started = time.perf_counter()
        _fill_sqlite(path, count)
    else:
        assert cluster is not None
        name = f"search_{count}"
        url = cluster.url(name)

        async def admin(statement: str, *args: object) -> object:
            connection = await asyncpg.connect(cluster.url())
            try:
                return await connection.fetchval(statement, *args)
            finally:
                await connection.close()

        found = asyncio.run(admin("SELECT 1 FROM pg_database WHERE datname = $1", name))
        if found and migrate.current_revision(url) == migrate.head_revision():
            return url
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        migrate.upgrade(url, "0008")
        started = time.perf_counter()
        asyncio.run(_fill_postgres(url, count))
    print(f"{engine}: {count:,} rows written in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    migrate.upgrade(url)
    if engine == "postgresql":
        asyncio.run(_analyze(url))
    print(
        f"{engine}: migrated to {migrate.head_revision()} (the text index of {count:,} rows)"
        f" in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return url


TARGET_P50_MS = 10.0
"""Issue 23: a first page's p50 at 10^6 conversations, for every shape."""

Result = tuple[str, bool, str, str, float, float, int]
"""term, by agent, archive_status, order_by, p50 ms, p99 ms, conversations found."""

SHAPES: list[tuple[str, bool, ArchiveStatus, OrderBy]] = list(
    product((ONE, HALF), (False, True), ("unarchived", "archived", "all"),
            ("created_at", "last_message_at"))
)  # fmt: skip


async def measure(url: str, count: int, calls: int) -> list[Result]:
    store = store_for(url)
    await store.open()
    one = await store.get(ORG, _conversation_id(one_at(count)))
    assert one is not None, "the build wrote it"
    results: list[Result] = []
    try:
        for term, by_agent, archive_status, order_by in SHAPES:
            page = Page(
                ORG,
                LIMIT,
                "desc",
                agent_id=one.conversation.agent_id if by_agent else None,
                summary_search=term,
                archive_status=archive_status,
                order_by=order_by,
            )
            took = []
            for call in range(calls + 2):
                started = time.perf_counter()
                found = await store.list_page(page)
                if call >= 2:  # two to warm the caches
                    took.append((time.perf_counter() - started) * 1e3)
            p50 = statistics.median(took)
            p99 = statistics.quantiles(took, n=100)[98] if len(took) > 1 else took[0]
            results.append((term, by_agent, archive_status, order_by, p50, p99, len(found)))
    finally:
        await store.close()
    return results


def table(engine: str, count: int, results: list[Result]) -> str:
    lines = [
        f"{engine}, {count:,} conversations in one organization, first page of {LIMIT}, desc:",
        "",
        "| term | agent_id | archive_status | order_by | p50 ms | p99 ms | found |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for term, by_agent, archive_status, order_by, p50, p99, found in results:
        holders = "one" if term == ONE else "half"
        lines.append(
            f"| {holders} (`{term}`) | {'yes' if by_agent else 'no'} | {archive_status}"
            f" | {order_by} | {p50:.2f} | {p99:.2f} | {found} |"
        )
    worst = max(result[4] for result in results)
    lines.append(f"\nworst p50: {worst:.2f} ms (target: at most {TARGET_P50_MS:g} ms)")
    return "\n".join(lines)


def run(
    engines: list[str], cache: Path, count: int, calls: int
) -> tuple[str, dict[str, list[Result]]]:
    """The tables of every engine, and each engine's results."""
    cache.mkdir(parents=True, exist_ok=True)
    cluster = KeptCluster(cache / "postgresql") if "postgresql" in engines else None
    measured: dict[str, list[Result]] = {}
    try:
        for engine in engines:
            url = build(engine, cache, count, cluster)
            measured[engine] = asyncio.run(measure(url, count, calls))
    finally:
        if cluster:
            cluster.stop()
    text = "\n\n".join(table(engine, count, results) for engine, results in measured.items())
    return text, measured


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=21)
    args = parser.parse_args()
    print(run(args.engines.split(","), args.cache, args.rows, args.calls)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
