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
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tests.support import ROOT, PostgresCluster, migrate, mint_key, start_server

SERVER_ERRORS = ("Traceback", "NonConforming", "Exception in ASGI application")


REQUEST_ID = {"$ref": "#/components/parameters/RequestId"}


def fuzzed_operations() -> list[str]:
    """The operationIds of openapi.yaml that take input, in order. Those whose only parameter is
    X-Request-Id (the health probes), which any value leaves the same request, are left out."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return [
        operation["operationId"]
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and "operationId" in operation
        and (
            [
                p
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                if p != REQUEST_ID
            ]
            or "requestBody" in operation
        )  # fmt: skip
    ]


FUZZED = fuzzed_operations()


def records(log: str) -> list[dict[str, object]]:
    """The server's log lines (`--log-format json`); lines another program wrote are skipped."""
    found = []
    for line in log.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def requests_by_operation(log: str) -> collections.Counter[str]:
    """From the access lines, which name each request's operation."""
    return collections.Counter(
        str(record["operation_id"])
        for record in records(log)
        if record["logger"] == "conversations.access"
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
            # Replaced by their variants in tests/contract/hooks.py, which --checks all includes.
            "--exclude-checks", "ensure_resource_availability,positive_data_acceptance",
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
            CONVERSATIONS_LOG_FORMAT="json",
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
    errors = [
        line
        for line in log.splitlines()
        if any(e in line for e in SERVER_ERRORS) or '"level": "ERROR"' in line
    ]
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
