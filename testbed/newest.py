"""`make upgrade-check`'s two halves: which packages to move, and which moved.

python -m testbed.newest overrides LOCK   # every package LOCK pins, unpinned (uv --overrides)
python -m testbed.newest moved LOCK       # each package installed here at another version
"""

import importlib.metadata
import re
import sys
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(lock: Path) -> dict[str, str]:
    """The name and version of every package a uv-compiled lock pins."""
    found = {}
    for line in lock.read_text().splitlines():
        if matched := _PIN.match(line):
            found[matched[1]] = matched[2]
    return found


def moved(lock: Path) -> list[str]:
    lines = []
    for name, locked in sorted(pins(lock).items()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a package for another platform
        if installed != locked:
            lines.append(f"{name} {locked} -> {installed}")
    return lines


def main(argv: list[str]) -> int:
    match argv:
        case ["overrides", lock]:
            print("\n".join(pins(Path(lock))))
        case ["moved", lock]:
            print("\n".join(moved(Path(lock)) or ["nothing newer than the lock"]))
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
