"""Where a pytest run's time goes, test by test: a pytest plugin, and a table of its records.

    PYTEST_ARGS="-p bench.test_cpu" TEST_CPU_DIR=FOLDER make test
    .venv/bin/python -m bench.test_cpu FOLDER

Each test's wall time, the CPU of the test process (every thread: servers in threads and
schemathesis' generation too), the CPU of the child processes it waited for, the seconds its
own thread slept (time.sleep) and the processes it started, one JSON line per test in a file
per worker under FOLDER; the table sums them by module. CPU figures hold on a loaded machine,
where wall times do not.
"""

import collections
import glob
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import pytest

_started: list[str] = []
_slept = [0.0]
_main = threading.main_thread()
_out: list[IO[str]] = []


def _install() -> None:
    execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]
    sleep = time.sleep

    def counted_child(self: Any, args: Any, *rest: Any, **options: Any) -> Any:
        argv = [str(part) for part in (args if isinstance(args, list | tuple) else [args])]
        _started.append(" ".join([os.path.basename(argv[0]), *argv[1:4]]))
        return execute_child(self, args, *rest, **options)

    def counted_sleep(seconds: float) -> None:
        if threading.current_thread() is _main:
            _slept[0] += seconds
        sleep(seconds)

    subprocess.Popen._execute_child = counted_child  # type: ignore[attr-defined]
    time.sleep = counted_sleep  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    _install()
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    folder = os.environ.get("TEST_CPU_DIR", "test-cpu")
    os.makedirs(folder, exist_ok=True)
    _out.append(open(os.path.join(folder, f"{worker}-{os.getpid()}.jsonl"), "a"))  # noqa: SIM115


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _started.clear()
    _slept[0] = 0.0
    start = time.time()
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    yield
    record = {
        "id": item.nodeid,
        "start": start,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "child": _children_cpu() - children,
        "sleep": _slept[0],
        "popen": list(_started),
    }
    _out[0].write(json.dumps(record) + "\n")
    _out[0].flush()


def table(folder: str) -> str:
    modules: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name in glob.glob(os.path.join(folder, "*.jsonl")):
        with open(name) as lines:
            for line in lines:
                record = json.loads(line)
                module = modules[record["id"].split("::")[0]]
                module["tests"] += 1
                for field in ("wall", "cpu", "child", "sleep"):
                    module[field] += record[field]
                module["started"] += len(record["popen"])
                module["serve"] += sum(" serve" in command for command in record["popen"])
    rows = [
        "| module | tests | wall s | own CPU s | children CPU s | wall − CPU s"
        " | main-thread sleeps s | processes started (serve) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total: collections.Counter[str] = collections.Counter()
    for module in modules.values():
        total.update(module)
    for name, module in [*sorted(modules.items(), key=lambda kv: -kv[1]["wall"]), ("all", total)]:
        waited = module["wall"] - module["cpu"] - module["child"]
        rows.append(
            f"| {name} | {module['tests']} | {module['wall']:.1f} | {module['cpu']:.1f}"
            f" | {module['child']:.1f} | {waited:.1f} | {module['sleep']:.1f}"
            f" | {module['started']} ({module['serve']}) |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1] if len(sys.argv) > 1 else "test-cpu"))
