"""`make bench`: this server, its peers and the bare-Starlette floor, side by side.

    python -m bench.run [--engines sqlite,postgresql] [--seconds 5] [--rounds 3]
                        [--operations get,patch,lists] [--connections 16]
                        [--big [--big-rows 1000000]] [--system NAME ...] [--before CHECKOUT]

The peers: lean ones, written as an engineer would ship the service in Litestar with msgspec
(bench/litestar_peer.py) and in FastAPI with pydantic (bench/fastapi_lean_peer.py), each with
its own SQL and key check (bench/lean_sql.py); FastAPI over this project's own service and
storage (bench/fastapi_peer.py), which differs from this server in the framework only; and the
connexion ceiling (bench/connexion_ceiling.py): stock connexion serving openapi.yaml with
handlers that do nothing, the most a server that lets connexion route, authenticate and
validate can serve unless it adapts how connexion runs.
Each system serves the same database (prepared once per engine) pinned to core 0 with uvloop
and httptools; wrk loads it from core 1 (`wrk -t1 -c16`) with a bearer key: GET and PATCH of
one conversation. The systems run side by side and are measured in turns, round after round:
in a round, operation by operation, the systems load it one right after another, each round
starting one system further along (`schedule`, `in_turn`), so that drift on this shared machine
and the place in a round touch them alike. Each figure is the median of the rounds; each cost
(a system against itself without something, or against the code before) is the median of the
rounds' ratios, paired round by round, with their range (`_cost` says why). Reports
requests/s, p50, p99, the server's peak RSS, its CPU time per request, how busy the whole
machine was, the ratios of throughput to each peer and to the floor, and the ratio of
server CPU per request to the floor's, and what a list page of 50 costs in server CPU against
a GET of the same system. `--big` adds 10^6 conversations and compares GET, PATCH and list
pages at depth against the small database, then measures GET's isolation from another
organization's searches (bench/isolation.py), summary_search (bench/search.py) at 10^6 and
`copy` of those 10^6 conversations from SQLite to PostgreSQL (bench/copy_database.py). Each
10^6 database is built once per engine and migration revision and kept (bench/cache.py,
bench/search.py); every part of a run, and every later run, works on a copy. `--big-rows N`
runs all of that at N conversations, to try it.
`--system NAME` (repeated) measures only the systems named, `--operations` only some loads
(get, patch, lists: the four list pages); a run takes about (rounds × (seconds + 0.1) + 2) s
per system and operation, plus a few seconds per system and engine to start (`estimate_s`,
printed first). So `make bench-costs`, which judges the costs alone (this server, without the
access log and metrics, without the limits; GET and PATCH; both engines; 9 rounds of 5 s),
takes about 10 minutes. `--before CHECKOUT` adds this server as another checkout serves it (its
own .venv, from `make install`), as "this server before", on a database that checkout prepares
itself (at its own revision), to measure a change side by side in one run. "this server, no
access log or metrics" and "this server, no limits" (the key rate, the organization in-flight
cap and the failed-authentications limit all off) measure what those cost. Ends with the
targets of issue 23, the limits' cost (issue 25) and, with --before, no loss against the code
before (issue 27), each met, not met, or not measured by the run (`summary`). Writes the
tables to bench/latest.md (bench/results.md quotes and reads runs).
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import asyncpg
import httpx

from bench import search
from server_impl.domain import keys
from server_impl.domain.ports import NewConversation
from server_impl.storage import migrate, store_for
from testbed import ROOT, children, free_port
from testbed.postgres import PostgresCluster

if TYPE_CHECKING:
    from bench.isolation import Isolated

T = TypeVar("T")
SERVER_CORE, LOAD_CORE = "0", "1"
ORGANIZATION, USER, AGENT = "bench", "bench", f"agent-{uuid.uuid4()}"
SERVE = ["-m", "server_impl", "serve", "--port", "{port}", "--database-url", "{url}"]
UNOBSERVED = "this server, no access log or metrics"
UNLIMITED = "this server, no limits"
BEFORE = "this server before"
SYSTEMS = {
    # As shipped: log level info (an access line per request, into the bench's log file) and
    # metrics on.
    "this server": SERVE,
    # What those cost: the same server with neither.
    UNOBSERVED: [*SERVE, "--no-access-log", "--no-metrics"],
    # What the limits of issue 25 cost at their defaults: the same server with all three off.
    UNLIMITED: [
        *SERVE,
        "--key-rate",
        "off",
        "--in-flight-per-organization",
        "off",
        "--failed-authentications-per-minute",
        "off",
    ],
    "Litestar lean peer": ["-m", "uvicorn", "bench.litestar_peer:app", "--port", "{port}"],
    "FastAPI lean peer": ["-m", "uvicorn", "bench.fastapi_lean_peer:app", "--port", "{port}"],
    "FastAPI, our service": ["-m", "uvicorn", "bench.fastapi_peer:app", "--port", "{port}"],
    "Starlette floor": ["-m", "uvicorn", "bench.starlette_floor:app", "--port", "{port}"],
    # Stock connexion with nothing else to do: no server it routes, authenticates and validates
    # for, unadapted, serves more.
    "connexion ceiling": ["-m", "uvicorn", "bench.connexion_ceiling:app", "--port", "{port}"],
    "this server, 2 workers": [
        "-m",
        "server_impl",
        "serve",
        "--workers",
        "2",
        "--port",
        "{port}",
        "--database-url",
        "{url}",
    ],
}
# Two workers cannot share one core; they get both (the load generator runs on core 1 too).
CORES = {"this server, 2 workers": "0,1"}
POINT = {
    "GET": ("get.lua", "/v1/conversations/{id}"),
    "PATCH": ("patch.lua", "/v1/conversations/{id}"),
}
LISTS = {
    "list, first page": ("get.lua", "/v1/conversations/?limit=50"),
    "list, deep page": ("get.lua", "/v1/conversations/?limit=50&after={deep}"),
    "list by last message, first page": (
        "get.lua",
        "/v1/conversations/?limit=50&order_by=last_message_at",
    ),
    "list by last message, deep page": (
        "get.lua",
        "/v1/conversations/?limit=50&order_by=last_message_at&after={deep}",
    ),
}
# Every fifth conversation has no last message; the others one second apart in creation order,
# so the deep cursor is as deep by last message as by creation.
WITHOUT_LAST_MESSAGE = 5
UVICORN_FLAGS = [
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--log-level",
    "warning",
    "--no-access-log",
]


@dataclass
class Sample:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float
    machine_busy: float


@dataclass
class Result:
    """One system's figures for one operation: each the median of its rounds (`rounds`)."""

    engine: str
    rows: int
    system: str
    operation: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    rss_mib: float
    server_cpu_us: float  # CPU time of the server's processes per request
    machine_busy: float  # share of all cores' time not idle, load generator and database included
    # Every round's sample, in round order: what a cost pairs round by round (`paired`). Empty
    # for a figure not measured in rounds, which is then its one round.
    rounds: list[Sample] = field(default_factory=list)

    def samples(self) -> list[Sample]:
        return self.rounds or [
            Sample(
                self.requests_per_s,
                self.p50_ms,
                self.p99_ms,
                self.server_cpu_us,
                self.machine_busy,
            )
        ]


@dataclass
class Database:
    url: str
    key: str
    conversation_id: str
    deep_cursor: str


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match[2]]


def wrk(
    url: str, script: str, key: str, seconds: int, connections: int
) -> tuple[float, float, float]:
    command = [
        "taskset",
        "-c",
        LOAD_CORE,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        # A slow answer is a latency to report (p99), not a failed request: wrk's default
        # 2 s timeout turned one into a socket error, which aborts the run.
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "wrk" / script),
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, "BENCH_KEY": key}
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed requests:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None:
        raise RuntimeError(f"wrk's report lacks a figure:\n{output}")
    return float(rate[1]), _ms(p50[1]), _ms(p99[1])


def _processes(pid: int) -> list[int]:
    """The server process and its workers, if any."""
    return [pid, *children(pid)]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory of the server process and its workers, if any."""
    return sum(_status_kib(p, "VmHWM") for p in _processes(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by the server process and its workers."""
    ticks = 0
    for p in _processes(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_times() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is counted in user already
    return total - idle, total


async def _fill(url: str, rows: int) -> Database:
    storage = store_for(url)
    await storage.open()
    try:
        minted = await keys.mint(storage, organization=ORGANIZATION, user=USER)
        actor = await keys.actor_for(storage, minted.key)
        assert actor is not None
        now = datetime.now(UTC)
        start = now - timedelta(seconds=rows)
        records = [
            (
                f"conv-{uuid.uuid4()}",
                actor.organization_id,
                AGENT,
                False,
                f"summary {n}",
                now,
                actor.user_id,
                now,
                actor.user_id,
                None if n % WITHOUT_LAST_MESSAGE == 0 else start + timedelta(seconds=n),
            )
            for n in range(rows - 1)
        ]
        columns = (
            "id",
            "organization_id",
            "agent_id",
            "is_default",
            "summary",
            "created_at",
            "created_by_id",
            "updated_at",
            "last_updated_by_id",
            "last_message_at",
        )
        if url.startswith("postgresql"):
            connection = await asyncpg.connect(url)
            await connection.copy_records_to_table(
                "conversations", records=records, columns=columns
            )
            await connection.execute("ANALYZE conversations")
            await connection.close()
        else:
            import sqlite3

            db = sqlite3.connect(url.removeprefix("sqlite:///"))
            stamp = now.isoformat(timespec="microseconds")
            db.executemany(
                f"INSERT INTO conversations ({', '.join(columns)}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        *r[:5],
                        stamp,
                        r[6],
                        stamp,
                        r[8],
                        r[9] and r[9].isoformat(timespec="microseconds"),
                    )
                    for r in records
                ],
            )
            db.commit()
            db.execute("ANALYZE")
            db.close()
        target = await storage.insert(
            NewConversation(
                f"conv-{uuid.uuid4()}", actor.organization_id, AGENT, "target", now, actor.user_id
            )
        )
        # Far from the newest, yet with a full page of older conversations after it.
        deep = records[min(101, len(records) - 1)][0] if records else target.conversation.id
        return Database(url, minted.key, target.conversation.id, deep)
    finally:
        await storage.close()


def prepare(url: str, rows: int) -> Database:
    migrate.upgrade(url)
    return asyncio.run(_fill(url, rows))


PREPARE_THERE = (
    "import dataclasses, json, sys; from bench import run;"
    " print(json.dumps(dataclasses.asdict(run.prepare(sys.argv[1], int(sys.argv[2])))))"
)


def prepare_in(checkout: Path, url: str, rows: int) -> Database:
    """A database prepared by another checkout's own code (its .venv): at its revision, which
    this checkout's migrations may have passed, and a server refuses a newer one."""
    output = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-c", PREPARE_THERE, url, str(rows)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Database(**json.loads(output.strip().splitlines()[-1]))


def prepared(
    engine: str,
    rows: int,
    checkout: Path,
    path: Path,
    cluster: PostgresCluster | None,
    *,
    kept: bool,
) -> Database:
    """A database of rows conversations for checkout's server: at path (SQLite) or a new one
    of cluster; kept, a copy of the one bench/cache.py keeps."""
    from bench import cache  # which imports this module

    print(f"{engine}: preparing {rows:,} conversations for {checkout}", flush=True)
    if kept:
        if engine == "postgresql" and cluster:
            return cache.postgresql_copy(rows, cluster, checkout)
        return cache.sqlite_copy(rows, path, checkout)
    url = cluster.new_database() if engine == "postgresql" and cluster else f"sqlite:///{path}"
    return prepare(url, rows) if checkout == ROOT else prepare_in(checkout, url, rows)


def serve(
    system: str, database: Database, log: Path, before: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    arguments = [part.format(port=port, url=database.url) for part in SYSTEMS.get(system, SERVE)]
    if not system.startswith("this server"):
        arguments += UVICORN_FLAGS
    env = {**os.environ, "CONVERSATIONS_DATABASE_URL": database.url}
    python, tree = sys.executable, ROOT
    if system == BEFORE:
        assert before is not None
        python, tree = str(before / ".venv" / "bin" / "python"), before
    process = subprocess.Popen(
        ["taskset", "-c", CORES.get(system, SERVER_CORE), python, *arguments],
        cwd=tree,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    probe = f"{base}/v1/conversations/{database.conversation_id}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(probe, headers={"Authorization": f"Bearer {database.key}"}).status_code
                == 200
            ):
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{system} did not start; see {log}")


def sample(process: subprocess.Popen[bytes], url: str, script: str, key: str, seconds: int,
           connections: int) -> Sample:  # fmt: skip
    cpu_before, (busy_before, total_before) = cpu_seconds(process.pid), machine_times()
    rate, p50, p99 = wrk(url, script, key, seconds, connections)
    cpu, (busy, total) = cpu_seconds(process.pid) - cpu_before, machine_times()
    served = rate * seconds
    return Sample(rate, p50, p99, cpu / served * 1e6, (busy - busy_before) / (total - total_before))


def in_turn(systems: list[T], round_: int) -> list[T]:
    """The systems in the order of one round: each round starts one further along, so that no
    system is always loaded first (after an idle pause) or always right after another's load."""
    start = round_ % len(systems) if systems else 0
    return systems[start:] + systems[:start]


def schedule(systems: list[T], operations: list[str], rounds: int) -> list[tuple[int, str, T]]:
    """The loads of a run, in order, as (round, operation, system): round by round, operation by
    operation, and for each operation the systems in turn (`in_turn`). So the systems a cost
    compares load the same operation within one round, one right after the other (at most the
    other systems between them), and the ratio of their two samples cancels whatever moves the
    machine more slowly than that (`paired`)."""
    return [
        (round_, operation, system)
        for round_ in range(rounds)
        for operation in operations
        for system in in_turn(systems, round_)
    ]


def measure(
    engine: str,
    rows: int,
    databases: dict[str, Database],
    args: argparse.Namespace,
    log: Path,
    systems: list[str],
    operations: dict[str, tuple[str, str]],
) -> list[Result]:
    """Serves every system at once (idle ones cost nothing), each on its database, and loads
    them in turns."""
    running: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    samples: dict[tuple[str, str], list[Sample]] = {}
    try:
        for system in systems:
            running[system] = serve(system, databases[system], log, args.before)
        for round_, operation, system in schedule(list(running), list(operations), args.rounds):
            process, base = running[system]
            database, (script, path) = databases[system], operations[operation]
            url = base + path.format(id=database.conversation_id, deep=database.deep_cursor)
            if round_ == 0:
                wrk(url, script, database.key, WARM_UP_S, args.connections)
            taken = sample(process, url, script, database.key, args.seconds, args.connections)
            samples.setdefault((system, operation), []).append(taken)
            print(
                f"  {engine:10} {rows:>9,} {system:24} {operation:16} round {round_ + 1}"
                f" {taken.requests_per_s:7,.0f} req/s  p50 {taken.p50_ms:5.2f} ms"
                f"  p99 {taken.p99_ms:5.2f} ms  {taken.server_cpu_us:4.0f} µs/req"
                f"  machine {taken.machine_busy:4.0%}",
                flush=True,
            )
        results = []
        for (system, operation), rounds in samples.items():

            def median(field: str, rounds: list[Sample] = rounds) -> float:
                return float(statistics.median(getattr(one, field) for one in rounds))

            results.append(
                Result(
                    engine,
                    rows,
                    system,
                    operation,
                    requests_per_s=median("requests_per_s"),
                    p50_ms=median("p50_ms"),
                    p99_ms=median("p99_ms"),
                    rss_mib=peak_rss_mib(running[system][0].pid),
                    server_cpu_us=median("server_cpu_us"),
                    machine_busy=median("machine_busy"),
                    rounds=rounds,
                )
            )
        return results
    finally:
        for process, _ in running.values():
            process.terminate()
            process.wait()


# The systems each row's throughput is compared with, by column heading.
VERSUS = {
    "vs Litestar lean": "Litestar lean peer",
    "vs FastAPI lean": "FastAPI lean peer",
    "vs FastAPI, our service": "FastAPI, our service",
    "vs floor": "Starlette floor",
    "vs connexion ceiling": "connexion ceiling",
}


def table(results: list[Result]) -> str:
    lines = [
        "| engine | conversations | operation | system | req/s | p50 ms | p99 ms | peak RSS MiB"
        " | server CPU µs/req | machine busy | " + " | ".join(VERSUS) + " | server CPU vs floor |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|" + "---:|" * (len(VERSUS) + 1),
    ]
    by_key = {(r.engine, r.rows, r.operation, r.system): r for r in results}
    for result in results:
        key = (result.engine, result.rows, result.operation)
        others = [by_key.get((*key, system)) for system in VERSUS.values()]
        versus = [
            f"{result.requests_per_s / other.requests_per_s:.2f}×" if other else ""
            for other in others
        ]
        floor = by_key.get((*key, "Starlette floor"))
        versus.append(f"{result.server_cpu_us / floor.server_cpu_us:.2f}×" if floor else "")
        lines.append(
            f"| {result.engine} | {result.rows:,} | {result.operation} | {result.system}"
            f" | {result.requests_per_s:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f}"
            f" | {result.rss_mib:.0f} | {result.server_cpu_us:.0f} | {result.machine_busy:.0%}"
            f" | {' | '.join(versus)} |"
        )
    return "\n".join(lines)


COSTS = {
    UNOBSERVED: "the access log and metrics",
    UNLIMITED: "the limits (key rate, organization in flight, failed authentications)",
}
"""What each system without something measures the cost of, against "this server"."""


def costs(results: list[Result]) -> str:
    """What the access log and metrics, and the limits, cost this server, each against the
    same server without them, from the same run's figures: the median of the paired rounds
    (`_cost`), and each round's figure."""
    by_key = {(r.engine, r.rows, r.operation, r.system): r for r in results}
    sections = []
    for without, what in COSTS.items():
        lines = []
        for result in results:
            if result.system != "this server":
                continue
            bare = by_key.get((result.engine, result.rows, result.operation, without))
            if bare is None:
                continue
            measured, _ = _cost(result, bare, 0)
            faster = ", ".join(f"{r - 1:+.1%}" for r in paired(result, bare, "requests_per_s"))
            dearer = ", ".join(f"{r - 1:+.1%}" for r in paired(result, bare, "server_cpu_us"))
            lines.append(
                f"- {result.engine} {result.operation}: {measured}; round by round, throughput"
                f" {faster}; server CPU {dearer}"
            )
        if lines:
            sections.append(
                f"\n\nWhat {what} cost (this server against itself without them, throughput"
                " and server CPU per request, median of the rounds' ratios and their range):\n"
                + "\n".join(lines)
            )
    return "".join(sections)


def list_cost(results: list[Result]) -> str:
    """A list page's server CPU against a GET's, each system against itself in the same run."""
    by_key = {(r.engine, r.rows, r.operation, r.system): r for r in results}
    lines = []
    for result in results:
        get = by_key.get((result.engine, result.rows, "GET", result.system))
        if get is None or result.operation not in LISTS:
            continue
        lines.append(
            f"- {result.engine} {result.rows:,} {result.system}, {result.operation}:"
            f" {result.server_cpu_us / get.server_cpu_us:.2f}× a GET's server CPU"
        )
    if not lines:
        return ""
    return "\n\nWhat a list page of 50 costs against a GET (server CPU per request):\n" + "\n".join(
        lines
    )


# Issue 23's bounds, which the summary holds the figures to.
LIST_PER_GET = 2.0
"""A list page of 50 costs at most this many times a GET's server CPU."""
OBSERVED_COST = 0.05
"""The access line and metrics cost at most this share of throughput and of server CPU."""
LIMITS_COST = 0.03
"""Issue 25: the limits at their defaults cost at most this share of GET and PATCH throughput
against them off; held to server CPU per request too, as the access line's cost is."""
NO_LOSS = 0.97
"""Issue 27: "no loss against the code before" as this server's throughput over the code
before's, side by side in one run (the median of the paired rounds' ratios, `_cost`). Not
1.00: the ratio of a few rounds of two servers in turns still moves by a few per cent, so a
server identical to the one before would fail a bound of 1.00 about half the time
(bench/results.md has this checkout served as both); 3 % is the share issue 25 allows the
limits, the smallest cost the project's bounds ask a run to see."""
PEER = "FastAPI lean peer"
"""GET and PATCH at least as many requests/s as this peer, p99 no higher."""
BIG = 1_000_000


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "**met**" if met else "**not met**"


def paired(one: Result, other: Result, figure: str) -> list[float]:
    """one's figure (a field of Sample) over other's, round by round, in round order."""
    return [
        getattr(mine, figure) / getattr(theirs, figure)
        for mine, theirs in zip(one.samples(), other.samples(), strict=True)
    ]


def _spread(changes: list[float]) -> str:
    """The median of changes, and their lowest and highest, as signed percentages."""
    median = statistics.median(changes)
    return f"{median:+.1%} ({min(changes):+.1%} to {max(changes):+.1%})"


def _rounds(count: int) -> str:
    return f"{count} paired round{'' if count == 1 else 's'}"


def _cost(shipped: Result | None, bare: Result | None, bound: float) -> tuple[str, bool | None]:
    """What shipped costs against bare, in throughput and server CPU, and whether both are
    within bound; nothing if either was not measured.

    Judged on paired rounds: the median of the rounds' ratios (shipped's sample over bare's in
    the same round), not the ratio of the two systems' medians. Within a round the two load the
    operation one right after the other (`schedule`), so whatever slows the machine for a while
    (another process's load, the database's housekeeping, the host) slows both samples of the
    round alike and their ratio cancels it. Each system's median can come from a different
    round, and then compares a slow moment of one with a fast moment of the other: judged so, two
    idle runs 16 minutes apart gave costs that moved by more than the bounds, some changing
    sign. The median of the ratios also sets aside a round in which only one of the two met a
    disturbance; their range says how far the rounds agree."""
    if not shipped or not bare:
        return "", None
    faster = [ratio - 1 for ratio in paired(shipped, bare, "requests_per_s")]
    dearer = [ratio - 1 for ratio in paired(shipped, bare, "server_cpu_us")]
    measured = f"throughput {_spread(faster)}, server CPU {_spread(dearer)}, {_rounds(len(faster))}"
    met = -statistics.median(faster) <= bound and statistics.median(dearer) <= bound
    return measured, met


def summary(
    engines: list[str],
    rows: int,
    results: list[Result],
    isolated: "list[Isolated] | None" = None,
    searched: dict[str, list[search.Result]] | None = None,
    big: int = BIG,
) -> str:
    """Every target of issue 23, and issue 25's cost of the limits, met or not, from one run's
    figures: a row per target and engine, "not measured" where the run measured no figure for
    it (a run without --big, or without a system a target compares with). With "this server
    before" in the run (--before), issue 27's: no loss of throughput against it."""
    from bench import isolation  # which imports this module

    by_key = {(r.engine, r.rows, r.operation, r.system): r for r in results}
    lines = [
        "| target | engine | measured | bound | |",
        "|---|---|---|---|---|",
    ]

    def add(target: str, engine: str, measured: str, bound: str, met: bool | None) -> None:
        lines.append(f"| {target} | {engine} | {measured or '-'} | {bound} | {_verdict(met)} |")

    for engine in engines:
        found = (searched or {}).get(engine)
        worst = max((result[4] for result in found), default=None) if found else None
        add(
            f"summary_search, worst first-page p50 at {big:,}",
            engine,
            "" if worst is None else f"{worst:.2f} ms",
            f"≤ {search.TARGET_P50_MS:g} ms",
            None if worst is None else worst <= search.TARGET_P50_MS,
        )
    for engine in engines:
        this = [i for i in isolated or [] if i.engine == engine and i.checkout == ROOT]
        add(
            f"isolation, GET p99 while {isolation.SEARCHERS} clients search / alone",
            engine,
            f"{this[0].ratio:.2f}×" if this else "",
            f"≤ {isolation.TARGET_RATIO:g}×",
            this[0].ratio <= isolation.TARGET_RATIO if this else None,
        )
    for engine in engines:
        for count in (rows, big):
            get = by_key.get((engine, count, "GET", "this server"))
            pages = [by_key.get((engine, count, name, "this server")) for name in LISTS]
            ratios = [p.server_cpu_us / get.server_cpu_us for p in pages if p and get]
            worst = max(ratios, default=None)
            add(
                f"list page of 50 / GET, server CPU, at {count:,} (worst of {len(LISTS)})",
                engine,
                "" if worst is None else f"{worst:.2f}× ({min(ratios):.2f}–{worst:.2f}×)",
                f"≤ {LIST_PER_GET:g}×",
                None if worst is None else worst <= LIST_PER_GET,
            )
    for engine in engines:
        for operation in POINT:
            shipped = by_key.get((engine, rows, operation, "this server"))
            bare = by_key.get((engine, rows, operation, UNOBSERVED))
            measured, met = _cost(shipped, bare, OBSERVED_COST)
            add(
                f"access line and metrics, {operation}",
                engine,
                measured,
                f"≤ {OBSERVED_COST:.0%} of each",
                met,
            )
    for engine in engines:
        for operation in POINT:
            ours = by_key.get((engine, rows, operation, "this server"))
            peer = by_key.get((engine, rows, operation, PEER))
            measured, met = "", None
            if ours and peer:
                # Paired rounds, as the costs are (_cost says why).
                faster = paired(ours, peer, "requests_per_s")
                slower = paired(ours, peer, "p99_ms")
                ratio, tail = statistics.median(faster), statistics.median(slower)
                measured = (
                    f"{ratio:.2f}× ({min(faster):.2f}× to {max(faster):.2f}×), p99"
                    f" {tail:.2f}× its ({min(slower):.2f}× to {max(slower):.2f}×),"
                    f" {_rounds(len(faster))}"
                )
                met = ratio >= 1.0 and tail <= 1.0
            add(
                f"{operation} against the {PEER}",
                engine,
                measured,
                "≥ 1.00×, p99 no higher",
                met,
            )
    for engine in engines:
        for operation in POINT:
            shipped = by_key.get((engine, rows, operation, "this server"))
            bare = by_key.get((engine, rows, operation, UNLIMITED))
            measured, met = _cost(shipped, bare, LIMITS_COST)
            add(f"limits, {operation}", engine, measured, f"≤ {LIMITS_COST:.0%} of each", met)
    if any(result.system == BEFORE for result in results):
        for engine in engines:
            for target, operations in [
                *((operation, [operation]) for operation in POINT),
                (f"list page of 50 (worst of {len(LISTS)})", list(LISTS)),
            ]:
                pairs = [
                    (now, then)
                    for operation in operations
                    if (now := by_key.get((engine, rows, operation, "this server")))
                    and (then := by_key.get((engine, rows, operation, BEFORE)))
                ]
                measured, met = "", None
                if pairs:
                    # The worst shape by its paired median (`_cost` says why paired).
                    now, then = min(
                        pairs,
                        key=lambda two: statistics.median(paired(two[0], two[1], "requests_per_s")),
                    )
                    ratios = paired(now, then, "requests_per_s")
                    ratio = statistics.median(ratios)
                    dearer = [r - 1 for r in paired(now, then, "server_cpu_us")]
                    measured = (
                        f"{ratio:.2f}× ({min(ratios):.2f}× to {max(ratios):.2f}×,"
                        f" {_rounds(len(ratios))}; medians {now.requests_per_s:,.0f} against"
                        f" {then.requests_per_s:,.0f} req/s), server CPU {_spread(dearer)}"
                    )
                    met = ratio >= NO_LOSS
                add(f"{target} against {BEFORE}", engine, measured, f"≥ {NO_LOSS:.2f}×", met)
    return "\n\nThe targets of issues 23, 25 and 27 in this run:\n\n" + "\n".join(lines)


OPERATIONS = {"get": ["GET"], "patch": ["PATCH"], "lists": list(LISTS)}
"""The names --operations takes, and the loads each stands for."""


def operations(text: str) -> list[str]:
    """--operations: names of OPERATIONS, separated by commas; the loads they stand for."""
    names = [name.strip().lower() for name in text.split(",")]
    unknown = [name for name in names if name not in OPERATIONS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"no such operation: {', '.join(unknown)}; the operations are {', '.join(OPERATIONS)}"
        )
    return [load for name, loads in OPERATIONS.items() if name in names for load in loads]


@dataclass
class Load:
    """One `measure` of a run: these systems, on these operations, at this many rows."""

    engine: str
    rows: int
    systems: list[str]
    operations: dict[str, tuple[str, str]]


def plan(args: argparse.Namespace, chosen: list[str]) -> list[Load]:
    """What a run loads, in order: per engine, at --rows every chosen system on GET and PATCH
    and this server (and the code before) on the list pages; with --big, at --big-rows this
    server (and the code before) on all of them. Only --operations' loads; none left empty."""
    point = {name: load for name, load in POINT.items() if name in args.operations}
    lists = {name: load for name, load in LISTS.items() if name in args.operations}
    ours = [system for system in ("this server", BEFORE) if system in chosen]
    loads = []
    for engine in args.engines.split(","):
        systems = [s for s in chosen if engine == "postgresql" or s not in CORES]
        loads += [Load(engine, args.rows, systems, point), Load(engine, args.rows, ours, lists)]
        if args.big:
            loads.append(Load(engine, args.big_rows, ours, {**point, **lists}))
    return [load for load in loads if load.systems and load.operations]


WARM_UP_S = 2
"""Each system's first load of each operation, not measured."""
# What a load costs beyond its seconds (wrk's start, the figures), what a system costs to start
# and stop, and a database of --rows to prepare (and a PostgreSQL cluster to start), rounded
# up: two small runs on this project's machine took 31 s and 22 s against estimates of 36 s
# and 24 s (bench/results.md, "Paired rounds").
SAMPLE_OVERHEAD_S = 0.1
START_S = 2.0
PREPARE_S = 5.0


def estimate_s(loads: list[Load], rounds: int, seconds: int) -> float:
    """About how long a run's loads take, in seconds: per system and operation a warm-up and
    `rounds` loads of `seconds`; per system a start, per engine and size a database. Not
    --big's parts beyond its loads (building a database of 10^6 the first time, isolation,
    search, copy)."""
    total = PREPARE_S * len({(load.engine, load.rows) for load in loads})
    for load in loads:
        pairs = len(load.systems) * len(load.operations)
        total += START_S * len(load.systems)
        total += pairs * (WARM_UP_S + rounds * (seconds + SAMPLE_OVERHEAD_S))
    return total


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make bench",
        epilog="A run without --big takes about (rounds × (seconds + 0.1) + 2) s per system and"
        " operation, plus a few seconds per system and engine to start; it prints its estimate"
        " first. `make bench-costs` (3 systems, GET and PATCH, 2 engines, 9 rounds of 5 s)"
        " takes about 10 minutes.",
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=5, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--operations",
        type=operations,
        metavar="get,patch,lists",
        default=operations(",".join(OPERATIONS)),
        help=f"only these loads, e.g. get,patch (of {', '.join(OPERATIONS)}; lists: the four"
        " list pages); default: all",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--big", action="store_true", help="also 10^6 conversations")
    parser.add_argument(
        "--big-rows", type=int, default=BIG, help="conversations of --big's databases, to try it"
    )
    parser.add_argument(
        "--system",
        action="append",
        dest="systems",
        help="only this one (repeatable; names hold commas); default: every system",
    )
    parser.add_argument("--before", type=Path, help="a checkout to serve as this server before")
    return parser


def main() -> int:
    args = parser().parse_args()
    if args.before is not None:
        # Its programs run with it as their working folder: a relative path would not hold.
        args.before = args.before.resolve()
    chosen = args.systems or list(SYSTEMS)
    if args.before is not None and BEFORE not in chosen:
        chosen.append(BEFORE)
    unknown = [name for name in chosen if name not in [*SYSTEMS, BEFORE]]
    if unknown:
        sys.exit(f"no such system: {', '.join(unknown)}; the systems are {', '.join(SYSTEMS)}")
    if BEFORE in chosen and args.before is None:
        sys.exit(f"{BEFORE} needs --before CHECKOUT")
    if args.before is not None and not (args.before / ".venv" / "bin" / "python").exists():
        sys.exit(f"{args.before} has no .venv: run make install there")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed: apt-get install wrk util-linux")
    loads = plan(args, chosen)
    print(
        f"About {estimate_s(loads, args.rounds, args.seconds) / 60:.1f} min of loads"
        + (" (and --big's isolation, search and copy)" if args.big else ""),
        flush=True,
    )

    folder = Path(f"/tmp/bench-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    log = folder / "servers.log"
    from bench import cache  # which imports this module

    cluster: PostgresCluster | None = None
    if "postgresql" in args.engines:
        # --big's databases are kept between runs in a cluster of the cache, copied per run.
        cluster = search.KeptCluster(search.CACHE / "postgresql") if args.big else PostgresCluster()
    results: list[Result] = []
    isolated, isolated_figures = "", None
    try:
        for engine, rows in dict.fromkeys((load.engine, load.rows) for load in loads):
            # --big's databases are built once into the cache, and copied.
            kept = args.big and rows == args.big_rows
            here = folder / f"{engine}-{rows}.db"
            database = prepared(engine, rows, ROOT, here, cluster, kept=kept)
            databases = dict.fromkeys(chosen, database)
            if BEFORE in chosen:
                assert args.before is not None
                there = folder / f"{engine}-{rows}-before.db"
                databases[BEFORE] = prepared(engine, rows, args.before, there, cluster, kept=kept)
            for load in loads:
                if (load.engine, load.rows) == (engine, rows):
                    results += measure(
                        engine, rows, databases, args, log, load.systems, load.operations
                    )
        if args.big:
            from bench import isolation

            isolated, isolated_figures = isolation.report(
                args.engines.split(","), args.rounds, 2000, cluster, rows=args.big_rows
            )
    finally:
        if isinstance(cluster, search.KeptCluster):
            cache.drop_copies(cluster)
            cluster.stop()
        elif cluster:
            cluster.destroy()
    report = table(results) + costs(results) + list_cost(results) + isolated
    searched = None
    if args.big:
        searches, searched = search.run(args.engines.split(","), search.CACHE, args.big_rows, 21)
        report += "\n\n" + searches
        if "postgresql" in args.engines:
            from bench import copy_database

            report += "\n\n" + copy_database.run(search.CACHE, args.big_rows)
    report += summary(
        args.engines.split(","), args.rows, results, isolated_figures, searched, args.big_rows
    )
    print("\n" + report)
    header = (
        f"`make bench` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, server on core"
        f" {SERVER_CORE}, `wrk -t1 -c{args.connections} -d{args.seconds}s` on core {LOAD_CORE};"
        f" median of {args.rounds} rounds, systems in turns; each cost the median of its paired"
        " rounds' ratios.\n\n"
    )
    (ROOT / "bench" / "latest.md").write_text(header + report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
