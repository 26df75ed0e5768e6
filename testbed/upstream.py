"""Fingerprints of the upstream functions this service adapts or copies, and their diffs.

An adaptation that overrides or copies a library's function was checked against that function's
source as one release had it. Its fence keeps ``{dotted name: (release, fingerprint)}``; a newer
release that leaves the function's source unchanged passes, one that changes it fails, naming it.

    python -m testbed.upstream diff DOTTED RELEASE   # what changed since RELEASE
    python -m testbed.upstream fingerprint DOTTED    # the installed source's, after review
"""

import ast
import difflib
import hashlib
import importlib.metadata
import inspect
import pkgutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from pathlib import Path

# The distribution that ships each top-level module an adaptation reaches into.
_DISTRIBUTIONS = {
    "connexion": "connexion",
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "uvicorn_worker": "uvicorn-worker",
    "prometheus_client": "prometheus-client",
}


def fingerprint(source: str) -> str:
    """Twelve hex digits of the sha256 of a function's source, its indentation removed."""
    return hashlib.sha256(textwrap.dedent(source).encode()).hexdigest()[:12]


def installed_source(dotted: str) -> str:
    """The source of the installed function or method named by ``dotted``."""
    return inspect.getsource(pkgutil.resolve_name(dotted))


def distribution(dotted: str) -> str:
    return _DISTRIBUTIONS[dotted.split(".", 1)[0]]


def changed(fenced: dict[str, tuple[str, str]]) -> list[str]:
    """One line per function of ``fenced`` whose installed source is not the one it was
    adapted from, saying how to see what changed."""
    lines = []
    for dotted, (release, expected) in fenced.items():
        try:
            actual = fingerprint(installed_source(dotted))
        except (ImportError, AttributeError, OSError, TypeError) as error:
            lines.append(f"{dotted} is gone from {distribution(dotted)}: {error}")
            continue
        if actual != expected:
            installed = importlib.metadata.version(distribution(dotted))
            lines.append(
                f"{dotted} changed between {distribution(dotted)} {release} and {installed}:"
                f" see `python -m testbed.upstream diff {dotted} {release}`, carry what matters"
                f" into the adaptation, then record ({installed!r}, {actual!r})"
            )
    return lines


def overridden(classes: Iterable[type], outside: str) -> set[str]:
    """The dotted names of the upstream functions that ``classes`` override: the nearest base's
    definition of each function a class defines, for bases whose module is not ``outside``'s."""
    found = set()
    for cls in classes:
        for name, value in vars(cls).items():
            if not _is_function(value):
                continue
            for base in cls.__mro__[1:]:
                if base.__module__.startswith(outside):
                    continue
                if _is_function(vars(base).get(name)):
                    found.add(f"{base.__module__}.{base.__qualname__}.{name}")
                    break
    return found


def _is_function(value: object) -> bool:
    return inspect.isfunction(getattr(value, "__func__", value))


def _released_source(dotted: str, release: str) -> str:
    """The source of ``dotted`` as ``release`` of its distribution has it, installed without
    its dependencies into a scratch folder (uv, from its cache or the package index)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("uv")),
                *("pip", "install", "--quiet", "--no-deps", "--target", folder),
                f"{distribution(dotted)}=={release}",
            ],
            check=True,
        )
        parts = dotted.split(".")
        for split in range(len(parts) - 1, 0, -1):
            module = Path(folder, *parts[:split])
            path = module / "__init__.py" if module.is_dir() else module.with_suffix(".py")
            if path.exists():
                return _definition(path.read_text(), parts[split:])
    raise LookupError(f"{dotted} is not in {distribution(dotted)} {release}")


def _definition(source: str, names: list[str]) -> str:
    """The lines of the class or function ``names`` in ``source``, decorators included, as
    inspect.getsource gives them."""
    body: list[ast.stmt] = ast.parse(source).body
    node: ast.stmt | None = None
    for name in names:
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and n.name == name
            ),
            None,
        )
        if node is None:
            raise LookupError(".".join(names))
        body = getattr(node, "body", [])
    assert isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    return "".join(source.splitlines(keepends=True)[first - 1 : node.end_lineno])


def main(argv: list[str]) -> int:
    match argv:
        case ["fingerprint", dotted]:
            print(fingerprint(installed_source(dotted)))
        case ["diff", dotted, release]:
            before = textwrap.dedent(_released_source(dotted, release)).splitlines(keepends=True)
            after = textwrap.dedent(installed_source(dotted)).splitlines(keepends=True)
            installed = importlib.metadata.version(distribution(dotted))
            sys.stdout.writelines(
                difflib.unified_diff(before, after, f"{dotted} {release}", f"{dotted} {installed}")
            )
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
