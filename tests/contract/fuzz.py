"""`make fuzz`: schemathesis' command line against a live server started for the run.

    python -m tests.contract.fuzz [--max-examples N] [--seed SEED] [--engine sqlite|postgresql]
                                  [-- SCHEMATHESIS OPTIONS]

Starts a server on a fresh SQLite database (or PostgreSQL: a throwaway cluster) with response
validation on, mints a key, runs the examples, coverage and fuzzing phases with every check,
then the stateful phase, then prints how many requests each operation received. Exits non-zero
on any failure, on any error in the server's log, when an operation that takes input received
fewer requests than --min-requests, or when the stateful phase ran fewer scenarios than
--min-scenarios.

The stateful phase runs in passes, each as a user of an organization of its own, until it has
run --max-examples scenarios (or MAX_STATEFUL_PASSES passes). A scenario's next steps depend on
what the server answered, so when Hypothesis replays the start of a scenario against a database
that has changed since, its draws differ; it calls that flaky data generation, and
schemathesis (4.32) then ends the phase without a word. After the other phases had filled the
database it ended after 18 to 41 scenarios; in an organization that starts empty, after 70 to
580. Each pass has a seed of its own, derived from the run's.

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
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from server_impl.observability import logs
from tests.support import ROOT, PostgresCluster, migrate, mint_key, start_server

SERVER_ERRORS = ("Traceback", "NonConforming", "Exception in ASGI application")
MAX_STATEFUL_PASSES = 12
SCENARIOS = re.compile(r"^\s*Scenarios:\s+(\d+)", re.MULTILINE)


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
    parser.add_argument(
        "--min-scenarios", type=int, default=None, help="default: half of --max-examples"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--engine", choices=["sqlite", "postgresql"], default="sqlite",
        help="the database the server keeps its data in; postgresql starts a throwaway cluster",
    )  # fmt: skip
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"Seed {seed}; replay this run with: make fuzz SEED={seed}", flush=True)

    def schemathesis(
        url: str, key: str, phases: str, *options: str, pass_seed: int = seed
    ) -> tuple[int, str]:
        """schemathesis' exit code and its output, which is also shown as it comes."""
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", str(ROOT / "openapi.yaml"),
            "--url", url,
            "--header", f"Authorization: Bearer {key}",
            "--checks", "all",
            # Replaced by their variants in tests/contract/hooks.py, which --checks all includes.
            "--exclude-checks", "ensure_resource_availability,positive_data_acceptance",
            "--phases", phases,
            "--max-examples", str(args.max_examples),
            "--seed", str(pass_seed),
            "--workers", "1",
            *options,
            *args.extra,
        ]  # fmt: skip
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as running:
            assert running.stdout is not None
            output = []
            for line in running.stdout:
                print(line, end="", flush=True)
                output.append(line)
        return running.returncode, "".join(output)

    exit_codes = []
    scenarios = 0
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
            exit_codes.append(schemathesis(server.api_url, key, "examples,coverage,fuzzing")[0])
            for stateful_pass in range(MAX_STATEFUL_PASSES):
                if scenarios >= args.max_examples:
                    break
                print(f"\nStateful pass {stateful_pass + 1}", flush=True)
                organization_key = mint_key(database_url, f"stateful-{stateful_pass}", "fuzzer")
                code, output = schemathesis(
                    server.api_url,
                    organization_key,
                    "stateful",
                    pass_seed=(seed + stateful_pass) % 2**32,
                )
                exit_codes.append(code)
                scenarios += sum(int(n) for n in SCENARIOS.findall(output))
            # The last access lines are written within FLUSH_AFTER_S of their requests.
            time.sleep(logs.FLUSH_AFTER_S)
            for operation in FUZZED:
                if (
                    requests_by_operation(server.log_path.read_text())[operation]
                    < args.min_requests
                ):
                    print(f"\nFocused pass: {operation}", flush=True)
                    exit_codes.append(
                        schemathesis(
                            server.api_url,
                            key,
                            "examples,coverage,fuzzing",
                            "--include-operation-id",
                            operation,
                        )[0]
                    )
        finally:
            server.stop()
            if cluster is not None:
                cluster.destroy()
        log = server.log_path.read_text()

    counts = requests_by_operation(log)
    print(f"\nStateful scenarios: {scenarios:,}")
    print("Requests the server received, by operation:")
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
    min_scenarios = args.max_examples // 2 if args.min_scenarios is None else args.min_scenarios
    if scenarios < min_scenarios:
        problems.append(f"the stateful phase ran {scenarios} scenarios, fewer than {min_scenarios}")
    for problem in problems:
        print(f"FAILED: {problem}")
    print(f"Seed {seed}; replay with: make fuzz SEED={seed}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
