"""The compiled schema checks that stand in for connexion's per-request validators."""

from connexion.json_schema import Draft4RequestValidator

from server_impl.api.connexion_adaptations.validators import CompiledSchema

SUMMARY = {
    "type": "object",
    "properties": {"summary": {"type": "string", "nullable": True, "maxLength": 3}},
}
CONVERSATION_ID = {"type": "string", "pattern": "^conv-[0-9a-f]{4}$"}


def test_nullable_fields_take_null_and_their_type_but_nothing_else() -> None:
    check = CompiledSchema(SUMMARY, Draft4RequestValidator)
    assert check.first_error({"summary": None}) is None
    assert check.first_error({"summary": "abc"}) is None
    assert check.first_error({"summary": "abcd"}) == (["summary"], "'abcd' is too long")
    assert check.first_error({"summary": 5}) == (["summary"], "5 is not of type 'string'")


def test_a_trailing_newline_does_not_slip_past_a_dollar_anchor() -> None:
    check = CompiledSchema(CONVERSATION_ID, Draft4RequestValidator)
    assert check.first_error("conv-12ab") is None
    assert check.first_error("conv-12ab\n") is not None


def test_numbers_beyond_64_bits_are_judged_by_jsonschema() -> None:
    check = CompiledSchema({"type": "integer", "maximum": 100}, Draft4RequestValidator)
    assert check.first_error(10**30) is not None
    assert check.first_error(7) is None
