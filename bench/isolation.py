"""No request stalls another (issue 23): GET by id in one organization, alone and while 4 clients
of another organization of 10^6 conversations run the slowest list the spec allows, on both
engines.

    python -m bench.isolation [--engines sqlite,postgresql] [--rounds 3] [--gets 2000]
                              [--rows 1000000] [CHECKOUT ...]

The slowest list: `summary_search` for a two-character term no conversation holds, which no
trigram index can answer, so it reads every conversation of the busy organization (a longer
rare term is an index lookup of a few milliseconds, not the slowest list). The busy
organization is a copy of bench/run.py's database of 10^6 conversations, built once and kept
(bench/cache.py); a quiet organization of one conversation is added to the copy. The server runs
as shipped, on both cores; the clients run in this process. Each round measures `--gets`
sequential GETs of the quiet organization alone, then again while the 4 clients search (each
phase stops after 60 s, for a server whose GETs wait seconds for searches), and
reports the median over rounds of p50 and p99 of each, and their ratio (the target: p99 under
load within 3x of p99 alone). Given checkouts (each with its own .venv, such as main's), each
one's server is measured in turn on the same database.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server_impl.domain import keys
from server_impl.domain.ports import NewConversation
from server_impl.storage import store_for
from testbed import ROOT, free_port
from testbed.postgres import PostgresCluster

from . import cache, run, search
from .search import KeptCluster

ROWS = 1_000_000
SEARCHERS = 4
RARE = "qz"
PHASE_S = 60
TARGET_RATIO = 3.0
"""Issue 23: GET's p99 under load at most this many times its p99 alone."""


@dataclass(frozen=True)
class Tenants:
    url: str
    busy_key: str
    quiet_key: str
    quiet_id: str


async def _add_quiet(url: str) -> tuple[str, str]:
    """A key of a quiet organization and its one conversation."""
    storage = store_for(url)
    await storage.open()
    try:
        minted = await keys.mint(storage, organization="quiet", user="quiet")
        actor = await keys.actor_for(storage, minted.key)
        assert actor is not None
        new = NewConversation(
            f"conv-{uuid.uuid4()}",
            actor.organization_id,
            run.AGENT,
            "quiet",
            datetime.now(UTC),
            actor.user_id,
        )
        return minted.key, (await storage.insert(new)).conversation.id
    finally:
        await storage.close()


def _tenants(database: run.Database) -> Tenants:
    quiet_key, quiet_id = asyncio.run(_add_quiet(database.url))
    return Tenants(database.url, database.key, quiet_key, quiet_id)


def sqlite_tenants(rows: int = ROWS) -> Tenants:
    folder = Path(tempfile.mkdtemp(prefix="bench-isolation-"))
    return _tenants(cache.sqlite_copy(rows, folder / "sqlite.db"))


def postgresql_tenants(cluster: PostgresCluster, rows: int = ROWS) -> Tenants:
    return _tenants(cache.postgresql_copy(rows, cluster))


def serve(url: str, log: Path, checkout: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    python = sys.executable if checkout == ROOT else str(checkout / ".venv" / "bin" / "python")
    command = [python, *[part.format(port=port, url=url) for part in run.SERVE]]
    process = subprocess.Popen(
        command,
        cwd=checkout,
        env={**os.environ, "CONVERSATIONS_DATABASE_URL": url},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health/ready").status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start; see {log}")


@dataclass
class Load:
    searches: list[float]
    refused: int = 0


async def _search(client: httpx.AsyncClient, load: Load, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        answer = await client.get("/conversations/", params={"summary_search": RARE})
        if answer.status_code == 200:
            load.searches.append(time.perf_counter() - started)
        else:
            load.refused += 1


async def _gets(client: httpx.AsyncClient, path: str, count: int) -> list[float]:
    """Up to count GETs in a row, for PHASE_S at most (each may wait seconds for a search)."""
    taken: list[float] = []
    ends = time.perf_counter() + PHASE_S
    while len(taken) < count and time.perf_counter() < ends:
        started = time.perf_counter()
        answer = await client.get(path)
        taken.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return taken


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def _round(base: str, tenants: Tenants, gets: int) -> dict[str, float]:
    path = f"/conversations/{tenants.quiet_id}"
    quiet = httpx.AsyncClient(base_url=base, headers=_bearer(tenants.quiet_key), timeout=60)
    busy = [
        httpx.AsyncClient(base_url=base, headers=_bearer(tenants.busy_key), timeout=60)
        for _ in range(SEARCHERS)
    ]
    try:
        await _gets(quiet, path, 50)  # warm-up
        alone = await _gets(quiet, path, gets)
        load, stop = Load([]), asyncio.Event()
        searchers = [asyncio.create_task(_search(client, load, stop)) for client in busy]
        await asyncio.sleep(1)  # every searcher has a search running
        loaded = await _gets(quiet, path, gets)
        stop.set()
        await asyncio.gather(*searchers)
    finally:
        await quiet.aclose()
        for client in busy:
            await client.aclose()
    return {
        "alone_p50": _percentile(alone, 0.5),
        "alone_p99": _percentile(alone, 0.99),
        "loaded_p50": _percentile(loaded, 0.5),
        "loaded_p99": _percentile(loaded, 0.99),
        "search_p50": _percentile(load.searches, 0.5) if load.searches else float("nan"),
        "gets": len(loaded),
        "searches": len(load.searches),
        "refused": load.refused,
    }


@dataclass
class Isolated:
    """One server's medians over the rounds, ms."""

    engine: str
    checkout: Path
    medians: dict[str, float]

    @property
    def ratio(self) -> float:
        """p99 under load over p99 alone: the target is at most TARGET_RATIO."""
        return self.medians["loaded_p99"] / self.medians["alone_p99"]

    def row(self) -> str:
        m = self.medians
        return (
            f"| {self.engine} | {self.checkout} | {m['alone_p50']:.2f} | {m['alone_p99']:.2f}"
            f" | {m['loaded_p50']:.2f} | {m['loaded_p99']:.2f} | {self.ratio:.2f}x"
            f" {'(met)' if self.ratio <= TARGET_RATIO else '(not met)'} | {m['search_p50']:.0f}"
            f" | {m['gets']:.0f} | {m['searches']:.0f} | {m['refused']:.0f} |\n"
        )


def measure(
    engine: str, tenants: Tenants, rounds: int, gets: int, log: Path, checkout: Path
) -> Isolated:
    process, base = serve(tenants.url, log, checkout)
    try:
        results = []
        for number in range(rounds):
            result = asyncio.run(_round(base, tenants, gets))
            print(
                f"{engine} round {number + 1}: GET p99 alone {result['alone_p99']:.2f} ms,"
                f" under load {result['loaded_p99']:.2f} ms ({result['gets']} GETs);"
                f" {result['searches']} searches"
                f" (p50 {result['search_p50']:.0f} ms), {result['refused']} refused",
                flush=True,
            )
            results.append(result)
    finally:
        process.terminate()
        process.wait()
    medians = {name: statistics.median(r[name] for r in results) for name in results[0]}
    return Isolated(engine, checkout, medians)


def report(
    engines: list[str],
    rounds: int,
    gets: int,
    cluster: PostgresCluster | None,
    checkouts: tuple[Path, ...] = (ROOT,),
    rows: int = ROWS,
) -> tuple[str, list[Isolated]]:
    """The isolation table, for `make bench --big` (bench/run.py) and this module's main: this
    checkout's server, or each of checkouts' in turn (another checkout with its own .venv, to
    compare); and each server's figures."""
    log = Path(tempfile.mkdtemp(prefix="bench-isolation-")) / "server.log"
    measured: list[Isolated] = []
    for engine in engines:
        if engine == "sqlite":
            tenants = sqlite_tenants(rows)
        else:
            assert cluster is not None, "PostgreSQL needs a cluster"
            tenants = postgresql_tenants(cluster, rows)
        for checkout in checkouts:
            measured.append(measure(engine, tenants, rounds, gets, log, checkout))
    lines = "".join(isolated.row() for isolated in measured)
    text = (
        f"\nIsolation at {rows:,} conversations (bench/isolation.py): GET by id in a quiet"
        f" organization, {gets} in a row, alone and while {SEARCHERS} clients of the busy one"
        f" each search for a two-character term no conversation holds; median of {rounds}"
        " rounds, ms.\n\n"
        "| engine | server | GET p50 alone | p99 alone | p50 under load | p99 under load"
        " | p99 ratio (target 3x) | search p50 | GETs under load | searches | refused |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + lines
    )
    return text, measured


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=ROWS, help="in the busy organization")
    parser.add_argument(
        "checkouts", nargs="*", type=Path, default=[ROOT], help="whose servers, in turn"
    )
    args = parser.parse_args()
    engines = args.engines.split(",")
    cluster = KeptCluster(search.CACHE / "postgresql") if "postgresql" in engines else None
    try:
        checkouts = tuple(path.resolve() for path in args.checkouts)
        print(report(engines, args.rounds, args.gets, cluster, checkouts, args.rows)[0])
    finally:
        if cluster:
            cache.drop_copies(cluster)
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
