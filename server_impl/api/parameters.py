"""The spec's operations and their query parameters, derived from openapi.yaml once."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from starlette.requests import Request

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_COERCE: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "number": float,
    "boolean": lambda value: value.lower() == "true",
}


def operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(path, method, operation) for every operation of the spec, in its order."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


class Parameters:
    """The query parameters of each operation, typed and defaulted as openapi.yaml says.

    connexion has validated them before a handler runs; this only converts the text.
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """spec: openapi.yaml with its references resolved (connexion's Specification)."""
        self._query: dict[str, list[tuple[str, Callable[[str], Any], Any]]] = {}
        for path, _method, operation in operations(spec):
            shared = spec["paths"][path].get("parameters", [])
            self._query[operation["operationId"]] = [
                (
                    parameter["name"],
                    _COERCE.get(parameter["schema"].get("type", "string"), str),
                    parameter["schema"].get("default"),
                )
                for parameter in [*shared, *operation.get("parameters", [])]
                if parameter["in"] == "query"
            ]

    def names(self, operation_id: str) -> frozenset[str]:
        """The names of the operation's query parameters."""
        return frozenset(name for name, _coerce, _default in self._query[operation_id])

    def query(self, operation_id: str, request: Request) -> dict[str, Any]:
        given = request.query_params
        return {
            name: coerce(given[name]) if name in given else default
            for name, coerce, default in self._query[operation_id]
        }
