"""make test's scheduler (tests/scheduling.py) on pytest-xdist's loadscope: the long modules'
tests go out first and one by one, every other module whole."""

from types import SimpleNamespace

from tests.scheduling import LONG, LongFirstScheduling
from tests.support import ROOT

SCHEMATHESIS, REPLICAS = LONG[0], LONG[1]


class Worker:
    """What the scheduler sees of a worker: it is sent indexes into its collection."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_the_long_modules_tests_go_first_one_by_one_and_other_modules_whole() -> None:
    collection = [
        *(f"tests/e2e/test_many.py::test_{n}" for n in range(6)),
        "tests/ops/test_few.py::test_a",
        f"{REPLICAS}::test_killed",
        f"{REPLICAS}::test_racing",
        f"{SCHEMATHESIS}::test_every_operation_keeps_its_contract[sqlite]",
        f"{SCHEMATHESIS}::test_every_operation_keeps_its_contract[postgresql]",
    ]
    config = SimpleNamespace(
        getvalue=lambda name: {"tx": ["2*popen"]}[name],
        option=SimpleNamespace(loadscopereorder=True),
    )
    scheduler = LongFirstScheduling(config)
    workers = [Worker("gw0"), Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()

    def sent(worker: Worker) -> list[list[str]]:
        return [[collection[index] for index in unit] for unit in worker.sent]

    # Round by round, a unit to each worker: first the long modules' tests in LONG's order,
    # one by one, then the other modules whole, most tests first (loadscope's order).
    assert sent(workers[0]) == [[collection[9]], [collection[7]]]
    assert sent(workers[1]) == [[collection[10]], [collection[8]]]
    scheduler.mark_test_complete(workers[0], 9)
    scheduler.mark_test_complete(workers[0], 7)
    assert sent(workers[0])[2:] == [collection[:6]]


def test_every_long_module_is_a_test_module() -> None:
    assert [module for module in LONG if not (ROOT / module).is_file()] == []
