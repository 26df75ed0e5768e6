"""`conversations-server copy` of 10^6 conversations from SQLite to PostgreSQL: rows per second
and the copy's peak memory, beside the peak of copying a database of one key, so that what the
rows add to it shows (a copy that streams adds the batches, not the database).

    python -m bench.copy_database [--cache /tmp/bench-cache] [--rows 1000000]

The SQLite database is bench/search.py's, built once into --cache and reused; each run copies it
into a new database of a throwaway PostgreSQL cluster, through the command an operator runs,
in a process of its own whose peak resident set size is read from wait4.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import search
from server_impl.storage import migrate
from testbed import ROOT
from testbed.postgres import PostgresCluster


def copy_once(source: str, target: str) -> tuple[str, int]:
    """copy's first line and its peak RSS in KiB."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server_impl", "copy", "--from", source, "--to", target],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    assert os.waitstatus_to_exitcode(status) == 0, err
    return out.splitlines()[0], usage.ru_maxrss


def run(cache: Path, rows: int) -> str:
    source = search.build("sqlite", cache, rows, None)
    with tempfile.TemporaryDirectory() as folder:
        small = f"sqlite:///{folder}/small.db"
        migrate.upgrade(small)
        subprocess.run(
            [sys.executable, "-m", "server_impl", "keys", "create", "--organization", "a",
             "--user", "b", "--database-url", small],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        cluster = PostgresCluster()
        try:
            figures = []
            for url in (small, source):
                target = cluster.new_database()
                migrate.upgrade(target)
                figures.append(copy_once(url, target))
        finally:
            cluster.destroy()
    lines = [
        f"copy SQLite → PostgreSQL, {rows:,} conversations (bench/search.py's database):",
        "",
        "| source | rows copied | seconds | rows/s | peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (line, peak) in zip(("one key", f"{rows:,} conversations"), figures, strict=True):
        found = re.match(r"Copied (\d+) rows .* in ([\d.]+) s \(([\d,]+) rows/s\)", line)
        assert found, line
        copied, seconds, rate = found.groups()
        lines.append(f"| {name} | {int(copied):,} | {seconds} | {rate} | {peak / 1024:.0f} MiB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=search.CACHE)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    print(run(args.cache, args.rows))


if __name__ == "__main__":
    main()
