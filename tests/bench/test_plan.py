"""What a make bench run loads: every system and operation by default, only the loads
--operations names with it, so that a cost judged on many rounds fits in minutes."""

import pytest

from bench.run import LISTS, SYSTEMS, UNLIMITED, UNOBSERVED, parser, plan

COSTS = ["this server", UNOBSERVED, UNLIMITED]
Planned = list[tuple[str, int, list[str], list[str]]]


def loads(*arguments: str, systems: list[str] = COSTS) -> Planned:
    """(engine, rows, systems, operations) of each measure of a run with these arguments."""
    found = plan(parser().parse_args(list(arguments)), systems)
    return [(load.engine, load.rows, load.systems, list(load.operations)) for load in found]


def test_operations_get_and_patch_load_only_those_on_each_engine() -> None:
    assert loads("--operations", "get,patch") == [
        ("sqlite", 1_000, COSTS, ["GET", "PATCH"]),
        ("postgresql", 1_000, COSTS, ["GET", "PATCH"]),
    ]


def test_operations_are_named_in_any_case_and_order() -> None:
    assert loads("--engines", "sqlite", "--operations", "Lists,GET") == [
        ("sqlite", 1_000, COSTS, ["GET"]),
        ("sqlite", 1_000, ["this server"], list(LISTS)),
    ]


def test_by_default_every_system_loads_get_and_patch_and_this_server_the_lists() -> None:
    everything = list(SYSTEMS)
    found = loads("--big", "--big-rows", "5000", systems=everything)
    assert found == [
        ("sqlite", 1_000, [s for s in everything if s != "this server, 2 workers"],
         ["GET", "PATCH"]),
        ("sqlite", 1_000, ["this server"], list(LISTS)),
        ("sqlite", 5_000, ["this server"], ["GET", "PATCH", *LISTS]),
        ("postgresql", 1_000, everything, ["GET", "PATCH"]),
        ("postgresql", 1_000, ["this server"], list(LISTS)),
        ("postgresql", 5_000, ["this server"], ["GET", "PATCH", *LISTS]),
    ]  # fmt: skip


def test_a_run_without_this_server_loads_no_list_page() -> None:
    assert all(
        load.operations.keys() <= {"GET", "PATCH"}
        for load in plan(parser().parse_args([]), ["FastAPI lean peer"])
    )
    assert not plan(parser().parse_args(["--operations", "lists"]), ["FastAPI lean peer"])


def test_an_operation_that_is_not_one_is_refused_naming_those_there_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        parser().parse_args(["--operations", "get,post"])
    assert refused.value.code == 2
    assert (
        "no such operation: post; the operations are get, patch, lists" in capsys.readouterr().err
    )
