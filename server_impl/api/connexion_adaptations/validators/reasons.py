"""What is wrong with a value that breaks the spec, as a 422's reason says it.

A reason says what is allowed in JSON's terms ("must be a string or null, not true"), quotes
a short prefix of the value as JSON writes it, never all of it (jsonschema's message repeats the
whole value as Python's repr: a megabyte summary made a two-megabyte answer and log line, and
true and null read True and None), and states the limit broken. What jsonschema lets through and
jsonschema-rs refuses (a trailing newline after a date-time) is named and explained too.
"""

import json
from typing import Any

import jsonschema_rs
from jsonschema.exceptions import ValidationError

from server_impl.api.problems import json_quoted

_KINDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
_FORMATS = {"date-time": 'an RFC 3339 date-time with an offset, such as "2026-11-29T10:21:00Z"'}


def reason(error: ValidationError) -> str:
    """What is wrong with a value and what is allowed, in JSON's terms (true, null, "text"),
    the value quoted short (json_quoted) and every limit stated."""
    value = json_quoted(error.instance)
    keyword, expected, schema = str(error.validator), error.validator_value, error.schema
    if keyword == "type":
        kinds = list(expected) if isinstance(expected, list) else [expected]
        if schema.get("nullable") and "null" not in kinds:
            kinds.append("null")
        return f"must be {' or '.join(_KINDS.get(kind, kind) for kind in kinds)}, not {value}"
    if keyword == "enum":
        return f"must be one of {', '.join(map(_spec, expected))}, not {value}"
    if keyword == "maxLength":
        return f"{value} is too long: at most {expected} characters"
    if keyword == "minLength":
        return f"{value} is too short: at least {expected} characters"
    if keyword == "maximum":
        bound = "less than" if schema.get("exclusiveMaximum") else "at most"
        return f"must be {bound} {_spec(expected)}, not {value}"
    if keyword == "minimum":
        bound = "more than" if schema.get("exclusiveMinimum") else "at least"
        return f"must be {bound} {_spec(expected)}, not {value}"
    if keyword == "required":
        missing = [name for name in expected if name not in error.instance]
        return f"must have the member {_spec(missing[0] if missing else expected[0])}"
    if keyword == "pattern":
        return _pattern_reason(value, expected)
    if keyword == "format":
        return _format_reason(value, expected)
    if keyword in ("anyOf", "oneOf"):
        return f"{value} has none of the forms openapi.yaml allows for it"
    return f"{value} breaks the schema's {keyword} {_spec(expected)} in openapi.yaml"


def _spec(value: Any) -> str:
    """A value of the spec (a bound, a pattern, an enum's member) as JSON writes it, whole."""
    return json.dumps(value, ensure_ascii=False)


def _pattern_reason(value: str, pattern: str) -> str:
    return f"{value} does not match the pattern {_spec(pattern)}"


def _format_reason(value: str, format_name: str) -> str:
    return f"{value} is not {_FORMATS.get(format_name, f'a valid {format_name}')}"


def reason_of_fast(error: jsonschema_rs.ValidationError) -> str:
    """What jsonschema-rs refuses and jsonschema lets through (a pattern's or a format's end
    of text before a trailing newline), in the terms of reason."""
    value = json_quoted(error.instance)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Format):
        return _format_reason(value, kind.format)
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern):
        return _pattern_reason(value, kind.pattern)
    return str(error.message)  # jsonschema-rs quotes values as JSON
