"""The URI parser: plain string path parameters pass through untouched, anything else is
parsed by connexion as before."""

from typing import Any

import pytest
from connexion.uri_parsing import OpenAPIURIParser

from server_impl.api.connexion_adaptations.uri_parser import StringPathURIParser


def path_parameter(name: str, **schema: Any) -> dict[str, Any]:
    """A path parameter's definition, as connexion hands it to the URI parser."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


CONVERSATION_ID = path_parameter("conversation_id", type="string", pattern="^conv-.*$")
# Values connexion itself would leave alone for a non-nullable string, odd ones included.
STRING_VALUES = ["conv-1", "null", "1,2,3", "", " spaced ", "ünïcode", "42"]


@pytest.fixture
def connexion_parsing(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records every call of connexion's own path parsing."""
    calls: list[dict[str, Any]] = []
    original = OpenAPIURIParser.resolve_path

    def recorded(self: OpenAPIURIParser, path_data: dict[str, Any]) -> Any:
        calls.append(dict(path_data))
        return original(self, path_data)

    monkeypatch.setattr(OpenAPIURIParser, "resolve_path", recorded)
    return calls


@pytest.mark.parametrize("value", STRING_VALUES)
def test_a_plain_string_path_parameter_is_passed_through_untouched(
    value: str, connexion_parsing: list[dict[str, Any]]
) -> None:
    parser = StringPathURIParser([CONVERSATION_ID], {})
    path_data = {"conversation_id": value}
    resolved = parser.resolve_path(path_data)
    assert resolved == {"conversation_id": value}
    assert resolved is not path_data  # a new dict: callers may change it
    assert connexion_parsing == []  # the per-request work skipped


@pytest.mark.parametrize("value", STRING_VALUES)
def test_passing_a_plain_string_through_gives_what_connexion_gives(value: str) -> None:
    # The shortcut is only sound while connexion's parsing leaves such a value unchanged.
    path_data = {"conversation_id": value}
    expected = OpenAPIURIParser([CONVERSATION_ID], {}).resolve_path(dict(path_data))
    assert StringPathURIParser([CONVERSATION_ID], {}).resolve_path(path_data) == expected


def test_query_parameters_do_not_keep_path_parameters_from_passing_through(
    connexion_parsing: list[dict[str, Any]],
) -> None:
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    parser = StringPathURIParser([CONVERSATION_ID, limit], {})
    assert parser.resolve_path({"conversation_id": "conv-1"}) == {"conversation_id": "conv-1"}
    assert connexion_parsing == []


def test_an_integer_path_parameter_is_converted_by_connexion(
    connexion_parsing: list[dict[str, Any]],
) -> None:
    parser = StringPathURIParser([path_parameter("n", type="integer")], {})
    assert parser.resolve_path({"n": "7"}) == {"n": 7}
    assert connexion_parsing == [{"n": "7"}]


def test_a_nullable_string_path_parameter_is_parsed_by_connexion() -> None:
    # connexion reads "null" as None for a nullable parameter; passing it through would not.
    parser = StringPathURIParser([path_parameter("s", type="string", nullable=True)], {})
    assert parser.resolve_path({"s": "null"}) == {"s": None}


def test_one_path_parameter_that_is_not_a_plain_string_sends_all_to_connexion() -> None:
    parameters = [CONVERSATION_ID, path_parameter("n", type="integer")]
    parser = StringPathURIParser(parameters, {})
    assert parser.resolve_path({"conversation_id": "conv-1", "n": "3"}) == {
        "conversation_id": "conv-1",
        "n": 3,
    }


def test_an_array_path_parameter_is_split_by_connexion() -> None:
    parser = StringPathURIParser(
        [path_parameter("ids", type="array", items={"type": "string"})], {}
    )
    assert parser.resolve_path({"ids": "a,b"}) == {"ids": ["a", "b"]}
