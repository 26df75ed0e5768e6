"""The order in which pytest-xdist hands modules out: the long ones first (tests/conftest.py)."""

from dataclasses import dataclass

import pytest

from tests.conftest import pytest_collection_modifyitems


@dataclass
class Item:
    nodeid: str
    long: bool

    def get_closest_marker(self, name: str) -> object:
        return object() if name == "long" and self.long else None


def test_the_modules_marked_long_come_first_and_every_module_keeps_its_order() -> None:
    items = [
        Item("tests/a.py::one", False),
        Item("tests/a.py::two", False),
        Item("tests/b.py::one[sqlite]", True),
        Item("tests/b.py::one[postgresql]", True),
        Item("tests/c.py::one", False),
        Item("tests/d.py::one", True),
    ]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "tests/b.py::one[sqlite]",
        "tests/b.py::one[postgresql]",
        "tests/d.py::one",
        "tests/a.py::one",
        "tests/a.py::two",
        "tests/c.py::one",
    ]


def test_this_runs_items_of_long_modules_precede_all_others(request: pytest.FixtureRequest) -> None:
    marked = [item.get_closest_marker("long") is not None for item in request.session.items]
    assert marked == sorted(marked, reverse=True)
