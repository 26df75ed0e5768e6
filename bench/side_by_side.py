"""This server from two checkouts, side by side on SQLite: what a change costs per request.

    python -m bench.side_by_side BEFORE_CHECKOUT [--rounds 5] [SERVE_OPTIONS...]

Each checkout (this one, and BEFORE_CHECKOUT with its own .venv from `make install`) prepares
a database of its own revision with its own code and serves it pinned to core 0; wrk loads them
from core 1 in turns (GET then PATCH, 5 s each, as `make bench` does), and the medians are
compared. Any other option goes to both servers' `serve` (`--no-access-log --no-metrics`).
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import httpx

from testbed import ROOT, free_port

from . import run

PREPARE = (
    "import sys, json; from bench import run; d = run.prepare(sys.argv[1], 1000);"
    " print(json.dumps([d.key, d.conversation_id]))"
)


def _serve(tree: str, serve_args: list[str]) -> tuple[subprocess.Popen[bytes], str, str, str]:
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    python = f"{tree}/.venv/bin/python"
    out = subprocess.run(
        [python, "-c", PREPARE, url], cwd=tree, capture_output=True, text=True, check=True
    ).stdout
    key, conversation = json.loads(out.strip().splitlines()[-1])
    port = free_port()
    command = [python, "-m", "server_impl", "serve", "--port", str(port), "--database-url", url]
    process = subprocess.Popen(
        ["taskset", "-c", run.SERVER_CORE, *command, *serve_args],
        cwd=tree,
        stdout=open(f"{folder}/log", "ab"),  # noqa: SIM115 - the server's for its lifetime
        stderr=subprocess.STDOUT,
        env={**os.environ, "CONVERSATIONS_DATABASE_URL": url},
    )
    base = f"http://127.0.0.1:{port}"
    probe = f"{base}/v1/conversations/{conversation}"
    for _ in range(300):
        try:
            if httpx.get(probe, headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                return process, base, key, conversation
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server of {tree} did not start; see {folder}/log")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side")
    parser.add_argument("before")
    parser.add_argument("--rounds", type=int, default=5)
    args, serve_args = parser.parse_known_args()
    servers = {
        name: _serve(tree, serve_args)
        for name, tree in (("before", args.before), ("after", str(ROOT)))
    }
    samples: dict[tuple[str, str], list[run.Sample]] = {}
    try:
        for round_ in range(args.rounds):
            for name, (process, base, key, conversation) in servers.items():
                for operation, (script, path) in run.POINT.items():
                    url = base + path.format(id=conversation)
                    if round_ == 0:
                        run.wrk(url, script, key, 2, 16)  # warm-up
                    taken = run.sample(process, url, script, key, 5, 16)
                    samples.setdefault((name, operation), []).append(taken)
                    print(
                        f"round {round_ + 1} {name:6} {operation:5} {taken.requests_per_s:7,.0f}"
                        f" req/s {taken.server_cpu_us:4.0f} µs/req p99 {taken.p99_ms:.2f} ms",
                        flush=True,
                    )
    finally:
        for process, *_ in servers.values():
            process.terminate()
            process.wait()
    for operation in run.POINT:
        rate = {
            n: statistics.median(s.requests_per_s for s in samples[(n, operation)]) for n in servers
        }
        cpu = {
            n: statistics.median(s.server_cpu_us for s in samples[(n, operation)]) for n in servers
        }
        print(
            f"{operation}: before {rate['before']:,.0f} req/s {cpu['before']:.0f} µs/req,"
            f" after {rate['after']:,.0f} req/s {cpu['after']:.0f} µs/req: throughput"
            f" {rate['after'] / rate['before'] - 1:+.1%},"
            f" server CPU {cpu['after'] / cpu['before'] - 1:+.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
