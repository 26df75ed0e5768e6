"""`make bench`'s summary holds each of issue 23's targets, issue 25's cost of the limits and,
with --before, issue 27's no loss against the code before, to its bound, met or not, from the
run's figures, and says which targets the run did not measure."""

from pathlib import Path

from bench import isolation, search
from bench.run import BEFORE, BIG, LISTS, UNLIMITED, UNOBSERVED, Result, summary
from testbed import ROOT


def result(rows: int, system: str, operation: str, rate: float, p99: float, cpu: float) -> Result:
    return Result("sqlite", rows, system, operation, rate, 1.0, p99, 100.0, cpu, 0.5)


def verdicts(text: str) -> dict[tuple[str, str], str]:
    """The summary's rows: (target, engine) → the verdict."""
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ")][1:]
    return {(row[0].lstrip("| "), row[1]): row[4].rstrip(" |") for row in rows}


def test_each_target_is_met_or_not_against_its_bound() -> None:
    results = [
        result(1_000, "this server", "GET", 1000, 10.0, 200),
        result(1_000, "this server", "PATCH", 500, 30.0, 400),
        result(1_000, UNOBSERVED, "GET", 1040, 9.0, 195),  # 3.8 % and 2.6 %: met
        result(1_000, UNOBSERVED, "PATCH", 560, 25.0, 360),  # 10.7 % and 11.1 %: not met
        result(1_000, UNLIMITED, "GET", 1020, 9.5, 196),  # 2.0 % and 2.0 %: met
        result(1_000, UNLIMITED, "PATCH", 505, 29.0, 385),  # 1.0 %, but CPU 3.9 %: not met
        result(1_000, "FastAPI lean peer", "GET", 900, 12.0, 300),  # met
        result(1_000, "FastAPI lean peer", "PATCH", 490, 20.0, 500),  # p99 higher: not met
        *[result(1_000, "this server", name, 300, 5.0, 390) for name in LISTS],  # 1.95×: met
        result(BIG, "this server", "GET", 1000, 10.0, 200),
        *[result(BIG, "this server", name, 300, 5.0, 380 + n) for n, name in enumerate(LISTS)],
    ]
    results[-1].server_cpu_us = 450  # one shape at 2.25×: not met
    measured = {"alone_p99": 10.0, "loaded_p99": 31.0}  # 3.1×: not met
    isolated = [
        isolation.Isolated("sqlite", ROOT, measured),
        isolation.Isolated("sqlite", Path("/elsewhere"), {"alone_p99": 1.0, "loaded_p99": 1.0}),
    ]
    searched: dict[str, list[search.Result]] = {
        "sqlite": [("a", False, "all", "created_at", 9.5, 20.0, 1)] * 2
    }
    text = summary(["sqlite"], 1_000, results, isolated, searched)
    found = verdicts(text)
    assert found == {
        (f"summary_search, worst first-page p50 at {BIG:,}", "sqlite"): "**met**",
        ("isolation, GET p99 while 4 clients search / alone", "sqlite"): "**not met**",
        ("list page of 50 / GET, server CPU, at 1,000 (worst of 4)", "sqlite"): "**met**",
        (f"list page of 50 / GET, server CPU, at {BIG:,} (worst of 4)", "sqlite"): "**not met**",
        ("access line and metrics, GET", "sqlite"): "**met**",
        ("access line and metrics, PATCH", "sqlite"): "**not met**",
        ("GET against the FastAPI lean peer", "sqlite"): "**met**",
        ("PATCH against the FastAPI lean peer", "sqlite"): "**not met**",
        ("limits, GET", "sqlite"): "**met**",
        ("limits, PATCH", "sqlite"): "**not met**",
    }
    assert "3.10×" in text and "1.95× (1.95–1.95×)" in text and "2.25×" in text
    assert "throughput -3.8%, server CPU +2.6%" in text
    assert "throughput -1.0%, server CPU +3.9%" in text
    assert BEFORE not in text, "no rows for issue 27 in a run without --before"


def test_a_target_the_run_did_not_measure_says_so() -> None:
    results = [result(1_000, "this server", "GET", 1000, 10.0, 200)]
    found = verdicts(summary(["sqlite", "postgresql"], 1_000, results))
    assert len(found) == 2 * 10
    assert set(found.values()) == {"not measured"}


def test_with_the_code_before_each_operation_keeps_its_throughput_within_3_percent() -> None:
    results = [
        result(1_000, "this server", "GET", 980, 10.0, 200),
        result(1_000, BEFORE, "GET", 1000, 10.0, 205),  # 0.98×: met
        result(1_000, "this server", "PATCH", 480, 30.0, 400),
        result(1_000, BEFORE, "PATCH", 500, 30.0, 390),  # 0.96×: not met
        *[result(1_000, "this server", name, 300, 5.0, 390) for name in LISTS],
        *[result(1_000, BEFORE, name, 290 + n, 5.0, 400) for n, name in enumerate(LISTS)],
    ]
    text = summary(["sqlite", "postgresql"], 1_000, results)
    found = verdicts(text)
    assert {target: verdict for target, verdict in found.items() if BEFORE in target[0]} == {
        (f"GET against {BEFORE}", "sqlite"): "**met**",
        (f"PATCH against {BEFORE}", "sqlite"): "**not met**",
        # The worst of the four shapes: 300 against 293, 1.02×.
        (f"list page of 50 (worst of 4) against {BEFORE}", "sqlite"): "**met**",
        (f"GET against {BEFORE}", "postgresql"): "not measured",
        (f"PATCH against {BEFORE}", "postgresql"): "not measured",
        (f"list page of 50 (worst of 4) against {BEFORE}", "postgresql"): "not measured",
    }
    assert "0.96× (480 against 500 req/s), server CPU +2.6%" in text
    assert "1.02× (300 against 293 req/s), server CPU -2.5%" in text
