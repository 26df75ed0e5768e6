"""make bench loads its systems in turns, each round starting one further along, and within a
round the systems load each operation one right after the other."""

from bench.run import in_turn, schedule


def test_each_round_starts_one_system_further_so_none_is_always_first() -> None:
    systems = ["this server", "no access log", "no limits"]
    rounds = [in_turn(systems, round_) for round_ in range(3)]
    assert rounds == [
        ["this server", "no access log", "no limits"],
        ["no access log", "no limits", "this server"],
        ["no limits", "this server", "no access log"],
    ]
    assert {one[0] for one in rounds} == set(systems)


def test_a_single_system_or_none_is_its_own_order() -> None:
    assert in_turn(["this server"], 4) == ["this server"]
    assert in_turn([], 2) == []


def test_within_a_round_the_systems_load_each_operation_one_right_after_the_other() -> None:
    systems = ["this server", "no access log", "no limits"]
    loads = schedule(systems, ["GET", "PATCH"], 2)
    assert loads == [
        (0, "GET", "this server"),
        (0, "GET", "no access log"),
        (0, "GET", "no limits"),
        (0, "PATCH", "this server"),
        (0, "PATCH", "no access log"),
        (0, "PATCH", "no limits"),
        (1, "GET", "no access log"),
        (1, "GET", "no limits"),
        (1, "GET", "this server"),
        (1, "PATCH", "no access log"),
        (1, "PATCH", "no limits"),
        (1, "PATCH", "this server"),
    ]
