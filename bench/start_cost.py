"""What starting a test server costs: a server in a thread of this process
(tests.support.serve_in_thread) against a `serve` process (tests.support.start_server), in
seconds of CPU (this process and the children it waited for, which is where a process's own
CPU is counted, at its exit) and of wall time, each started and stopped on one SQLite database.

    .venv/bin/python -m bench.start_cost [--rounds N]
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from tests.support import new_sqlite_database, serve_in_thread, start_server


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    folder = Path(tempfile.mkdtemp(prefix="start-cost-"))
    url = new_sqlite_database(folder)
    for kind, start in (("thread", serve_in_thread), ("process", start_server)):
        for round_ in range(rounds):
            cpu, wall = _cpu(), time.monotonic()
            server = start(url, folder / f"{kind}-{round_}.log")
            started_cpu, started_wall = _cpu() - cpu, time.monotonic() - wall
            server.stop()
            print(
                f"{kind}: start {started_cpu:.2f} s CPU ({started_wall:.2f} s wall),"
                f" start and stop {_cpu() - cpu:.2f} s CPU",
                flush=True,
            )


if __name__ == "__main__":
    main()
