"""The layout CONTRIBUTING describes: no module of server_impl/ over about 300 lines, each one
job that a reader takes in at once."""

from pathlib import Path

import server_impl

LIMIT = 300
"""Lines of a module of server_impl/, at most."""


def modules_over_the_limit() -> set[str]:
    root = Path(server_impl.__file__).parent
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > LIMIT
    }


def test_no_module_of_server_impl_is_over_300_lines() -> None:
    assert modules_over_the_limit() == set()
