"""bench/test_cpu.py: its table sums each module's tests' records, longest module first."""

import json
from pathlib import Path

from bench.test_cpu import table


def test_the_table_sums_each_modules_records_and_all_of_them(tmp_path: Path) -> None:
    def record(nodeid: str, wall: float, popen: list[str]) -> str:
        fields = {"wall": wall, "cpu": 1.0, "child": 0.5, "sleep": 0.25, "popen": popen}
        return json.dumps({"id": nodeid, **fields})

    (tmp_path / "gw0-1.jsonl").write_text(
        record("tests/a.py::test_1", 2.0, ["python -m server_impl serve"]) + "\n"
    )
    (tmp_path / "gw1-2.jsonl").write_text(
        record("tests/a.py::test_2", 3.0, ["mypy --strict"])
        + "\n"
        + record("tests/b.py::test_1", 10.0, [])
        + "\n"
    )
    rows = table(str(tmp_path)).splitlines()[2:]
    assert rows == [
        "| tests/b.py | 1 | 10.0 | 1.0 | 0.5 | 8.5 | 0.2 | 0 (0) |",
        "| tests/a.py | 2 | 5.0 | 2.0 | 1.0 | 2.0 | 0.5 | 2 (1) |",
        "| all | 3 | 15.0 | 3.0 | 1.5 | 10.5 | 0.8 | 2 (1) |",
    ]
