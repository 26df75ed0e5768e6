"""connexion's URI parser, minus its per-request work on plain string path parameters."""

from typing import Any

from connexion.uri_parsing import OpenAPIURIParser
from connexion.utils import is_nullable


def _plain_string(parameter: dict[str, Any]) -> bool:
    return parameter.get("schema", {}).get("type") == "string" and not is_nullable(parameter)


class StringPathURIParser(OpenAPIURIParser):
    """connexion's URI parser, minus its per-request work on plain string path parameters.

    connexion runs every path parameter through its style and type rules on each request; a
    non-nullable string (every path parameter of this spec) comes out as it went in.
    """

    def __init__(self, param_defns: list[dict[str, Any]], body_defn: dict[str, Any]) -> None:
        super().__init__(param_defns, body_defn)
        self._plain_path = all(_plain_string(p) for p in param_defns if p["in"] == "path")

    def resolve_path(self, path_data: dict[str, Any]) -> dict[str, Any]:
        return dict(path_data) if self._plain_path else super().resolve_path(path_data)
