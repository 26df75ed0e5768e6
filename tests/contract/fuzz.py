"""`make fuzz`: schemathesis' command line against a live server started for the run.

    python -m tests.contract.fuzz [--max-examples N] [--seed SEED] [--engine sqlite|postgresql]
                                  [-- SCHEMATHESIS OPTIONS]

Starts a server on a fresh SQLite database (or PostgreSQL: a throwaway cluster) with response
validation on, mints a key, runs every phase (examples, coverage, fuzzing, stateful) with every
check, then prints how many requests each operation received. Exits non-zero on any failure,
on any error in the server's log, or when an operation that takes input received fewer requests
than --min-requests.

In a run over all operations schemathesis feeds DELETE by id mostly with ids it saw created, and
spreads deletions over them, so it stops that operation after a few dozen distinct requests. An
operation left below --min-requests therefore gets a focused pass of its own (same seed and
checks, every phase but the stateful one, which needs the linked operations) against the same
server.
"""

import argparse
import collections
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from starlette.routing import compile_path

from tests.support import ROOT, PostgresCluster, migrate, mint_key, start_server

ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/1\.1" (?P<status>\d{3})')
SERVER_ERRORS = ("Traceback", "NonConforming", "Exception in ASGI application")


def spec_operations() -> list[tuple[re.Pattern[str], str, str, bool]]:
    """(path pattern, METHOD, operationId, takes input) per operation of openapi.yaml, in order."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    base = spec["servers"][0]["url"]
    return [
        (
            compile_path(base + path)[0],
            method.upper(),
            operation["operationId"],
            bool(
                item.get("parameters") or operation.get("parameters") or "requestBody" in operation
            ),
        )
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


OPERATIONS = spec_operations()
# Operations without parameters or body (the health probes) have one possible request.
FUZZED = [operation_id for _, _, operation_id, takes_input in OPERATIONS if takes_input]


def operation_of(method: str, target: str) -> str:
    path = target.split("?", 1)[0]
    for pattern, operation_method, operation_id, _ in OPERATIONS:
        if method == operation_method and (pattern.match(path) or pattern.match(path + "/")):
            return operation_id
    return "other"


def requests_by_operation(log: str) -> collections.Counter[str]:
    return collections.Counter(
        operation_of(match["method"], match["path"]) for match in ACCESS_LINE.finditer(log)
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="make fuzz")
    parser.add_argument("--max-examples", type=int, default=1200)
    parser.add_argument("--min-requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--engine", choices=["sqlite", "postgresql"], default="sqlite",
        help="the database the server keeps its data in; postgresql starts a throwaway cluster",
    )  # fmt: skip
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"Seed {seed}; replay this run with: make fuzz SEED={seed}", flush=True)

    def schemathesis(url: str, key: str, phases: str, *options: str) -> int:
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", str(ROOT / "openapi.yaml"),
            "--url", url,
            "--header", f"Authorization: Bearer {key}",
            "--checks", "all",
            # Replaced by its variant in tests/contract/hooks.py, which --checks all includes.
            "--exclude-checks", "ensure_resource_availability",
            "--phases", phases,
            "--max-examples", str(args.max_examples),
            "--seed", str(seed),
            "--workers", "1",
            *options,
            *args.extra,
        ]  # fmt: skip
        return subprocess.run(command, cwd=ROOT).returncode

    exit_codes = []
    cluster = PostgresCluster() if args.engine == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        if cluster is None:
            database_url = f"sqlite:///{Path(folder) / 'fuzz.db'}"
        else:
            database_url = cluster.new_database()
        migrate(database_url)
        key = mint_key(database_url, "fuzz", "fuzzer")
        server = start_server(
            database_url,
            Path(folder) / "server.log",
            CONVERSATIONS_LOG_LEVEL="info",
            PYTHONUNBUFFERED="1",
        )
        try:
            exit_codes.append(
                schemathesis(server.api_url, key, "examples,coverage,fuzzing,stateful")
            )
            for operation in FUZZED:
                if (
                    requests_by_operation(server.log_path.read_text())[operation]
                    < args.min_requests
                ):
                    print(f"\nFocused pass: {operation}", flush=True)
                    exit_codes.append(
                        # Links need both ends selected: the stateful phase ran in the full pass.
                        schemathesis(
                            server.api_url,
                            key,
                            "examples,coverage,fuzzing",
                            "--include-operation-id",
                            operation,
                        )
                    )
        finally:
            server.stop()
            if cluster is not None:
                cluster.destroy()
        log = server.log_path.read_text()

    counts = requests_by_operation(log)
    print("\nRequests the server received, by operation:")
    for operation, count in sorted(counts.items()):
        print(f"  {operation:32} {count:7,}")
    problems = []
    if any(exit_codes):
        problems.append(f"schemathesis exited with {exit_codes}")
    errors = [line for line in log.splitlines() if any(e in line for e in SERVER_ERRORS)]
    if errors:
        problems.append("the server logged errors:\n  " + "\n  ".join(errors[:20]))
    short = {op: counts[op] for op in FUZZED if counts[op] < args.min_requests}
    if short:
        problems.append(f"operations below {args.min_requests} requests: {short}")
    for problem in problems:
        print(f"FAILED: {problem}")
    print(f"Seed {seed}; replay with: make fuzz SEED={seed}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
