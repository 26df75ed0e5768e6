"""make bench loads its systems in turns, each round starting one further along."""

from bench.run import in_turn


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
