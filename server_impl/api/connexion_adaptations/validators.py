"""connexion's request validators, answering as this API's error contract says.

connexion answers every failed check with 400. Upstream Letta, and the official SDK's
``UnprocessableEntityError``, use 422 for values that break the schema, keeping 400 for a body
that is not JSON at all. These validators keep connexion's checks and change only the answer.

A body nested deeper than BODY_MAX_DEPTH is a 422 naming the member that holds it, however
deep: orjson refused past 1024 levels (400), and pydantic, reading the body again, past 200 (a
422 quoting the body as a Python bytes repr).

connexion also compiles a JSON Schema validator for every parameter and body of every request;
these compile each schema once and take the cheap is_valid path unless the value is invalid.

A reason says what is allowed in JSON's terms ("must be a string or null, not true"), quotes
a short prefix of the value as JSON writes it, never all of it (jsonschema's message repeats the
whole value as Python's repr: a megabyte summary made a two-megabyte answer and log line, and
true and null read True and None), and states the limit broken. What jsonschema lets through and
jsonschema-rs refuses (a trailing newline after a date-time) is named and explained too.

A value that fails a union (`oneOf`, `anyOf`) is explained by the member it was meant for:
jsonschema's best_match weighs every member's errors alike and, for model_settings, named
`body.model_settings` with "... is not valid under any of the given schemas" whatever was wrong.
"""

import json
import operator
import re
from collections.abc import AsyncIterator, Iterable
from itertools import accumulate, count
from typing import Any

import jsonschema_rs
import orjson
from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match, relevance
from starlette.datastructures import Headers
from starlette.types import Scope

from server_impl.api.problems import (
    InvalidParams,
    MalformedBody,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
    json_quoted,
)

NO_BODY = object()
"""The parsed body of a request that sent none (an empty one)."""
PARSED_BODY = "conversations.parsed_body"
"""The scope extension holding a request's body as the body validator parsed it (or NO_BODY),
so that nothing downstream parses it again (parsed_body)."""
_TOO_DEEP = object()  # more than orjson reads: 1024 levels
_UTF8 = {"utf-8", "utf8"}

BODY_MAX_DEPTH = 64
"""The deepest a request body may nest objects and arrays, the body itself the first level
(openapi.yaml states it): deeper is a 422 naming the body's member that holds it. orjson itself
refuses more than 1024 levels, and pydantic, which reads the body again, more than 200."""
_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOKEN = re.compile(_STRING + rb"|[\[\]{}]")
"""The strings and brackets of JSON text: brackets inside strings are not nesting."""
_STRINGS = re.compile(_STRING)
# Each opening bracket as 2, each closing one as 0, and nothing else: after the k-th bracket
# the depth is their sum so far less k.
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_ALL_BUT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def _nests_too_deep(raw: bytes) -> bool:
    """Whether well-formed JSON text nests deeper than BODY_MAX_DEPTH, read in C (about
    0.1 s for a mebibyte of nothing but brackets, the worst case)."""
    if raw.count(b"[") + raw.count(b"{") <= BODY_MAX_DEPTH:
        return False
    steps = _STRINGS.sub(b"", raw).translate(_DEPTH_STEPS, _ALL_BUT_BRACKETS)
    deepest: int = max(map(operator.sub, accumulate(steps), count(1)))
    return deepest > BODY_MAX_DEPTH


def _too_deep(raw: bytes) -> str:
    """The name of what nests deeper than BODY_MAX_DEPTH in the JSON text raw, whose first
    BODY_MAX_DEPTH + 1 levels are well formed: ``body.<member>``, or ``body`` if the body
    is not an object."""
    depth = 0
    member = "body"
    in_object = raw.lstrip()[:1] == b"{"
    for token in _TOKEN.finditer(raw):
        text = token.group()
        if text == b"[" or text == b"{":
            depth += 1
            if depth > BODY_MAX_DEPTH:
                break
        elif text == b"]" or text == b"}":
            depth -= 1
        elif depth == 1 and in_object:  # a string: the last one at depth 1 names the member
            key = orjson.loads(text)
            member = f"body.{key if len(key) <= 40 else key[:40] + '…'}"
    return member


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


def _reason(error: ValidationError) -> str:
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


def _reason_of_fast(error: jsonschema_rs.ValidationError) -> str:
    """What jsonschema-rs refuses and jsonschema lets through (a pattern's or a format's end
    of text before a trailing newline), in the terms of _reason."""
    value = json_quoted(error.instance)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Format):
        return _format_reason(value, kind.format)
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern):
        return _pattern_reason(value, kind.pattern)
    return str(error.message)  # jsonschema-rs quotes values as JSON


class CompiledSchema:
    """A schema of the spec, checked by jsonschema-rs and explained by jsonschema.

    jsonschema-rs (compiled) decides; only for an invalid value does the pure-Python validator
    connexion uses run, to name what is wrong. jsonschema-rs reads a pattern's `$` as the end of
    the text, as JSON Schema means it, where Python's `re` also lets a trailing newline through.
    """

    def __init__(self, schema: dict[str, Any], kind: type[Draft4Validator]) -> None:
        self._fast = jsonschema_rs.Draft4Validator(_as_json_schema(schema))
        self._explain = kind(schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    def first_error(self, value: Any) -> tuple[list[str], str] | None:
        """None if valid, else where (a path inside the value) and what is wrong."""
        try:
            if self._fast.is_valid(value):
                return None
            rejected = True
        except (ValueError, OverflowError):  # beyond what jsonschema-rs holds: jsonschema judges
            rejected = False
        error = self._explained(self._explain.iter_errors(value))
        if error is not None:
            return [str(part) for part in error.absolute_path], _reason(error)
        if not rejected:
            return None
        fast = next(iter(self._fast.iter_errors(value)))
        return [str(part) for part in fast.instance_path], _reason_of_fast(fast)

    def _explained(self, errors: Iterable[ValidationError]) -> ValidationError | None:
        """The error to report: the most relevant one, as best_match picks it, then, through
        each union it fails, the error of the member the value was meant for (_meant)."""
        error = max(errors, key=relevance, default=None)
        while error is not None and error.context:
            meant = self._meant(error)
            if meant is None:  # a union this cannot resolve: jsonschema's own heuristics
                return best_match([error])
            error = meant
        return error

    def _meant(self, union: ValidationError) -> ValidationError | None:
        """The most relevant error of the member of a failed union the value was meant for.

        With a discriminator, that is the member whose tag the value's discriminator property
        names; a value with none, or with one no member has, gets the error of a check of just
        that property (an object, with the property, of one of the tags). Without one, it is
        the one member left once null-only members (`enum: [null]`) are set aside.
        """
        members: list[dict[str, Any]] = union.validator_value
        instance = union.instance
        discriminator = union.schema.get("discriminator")
        if discriminator is not None:
            name = discriminator["propertyName"]
            tags = [_tag(member, name) for member in members]
            tag = instance.get(name) if isinstance(instance, dict) else None
            if tag is None or tag not in tags:
                check = {"type": "object", "required": [name], "properties": {name: {"enum": tags}}}
                found = best_match(self._explain.evolve(schema=check).iter_errors(instance))
                if found is not None:
                    found.parent = union  # its path continues the union's
                return found
            meant = tags.index(tag)
        else:
            others = [i for i, member in enumerate(members) if member.get("enum") != [None]]
            if len(others) != 1:
                return None
            meant = others[0]
        errors = [error for error in union.context if error.relative_schema_path[0] == meant]
        return max(errors, key=relevance, default=None)


def _tag(member: dict[str, Any], name: str) -> object:
    """The discriminator value of a union member: the one value its enum allows for name."""
    values = member.get("properties", {}).get(name, {}).get("enum", [])
    return values[0] if len(values) == 1 else None


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type list, all the way down.

    connexion has resolved every $ref already; the `components` it attaches to a body schema
    (which refer back to it) are left out.
    """
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _as_json_schema(value) for key, value in node.items() if key != "components"}
    if converted.pop("nullable", False) and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


_compiled: dict[int, tuple[dict[str, Any], CompiledSchema]] = {}


def compiled(
    schema: dict[str, Any], kind: type[Draft4Validator] = Draft4Validator
) -> CompiledSchema:
    """The compiled form of a schema of the spec, made on first use.

    connexion hands over the same schema objects on every request, so their identity is the key;
    the stored schema keeps that identity from being reused.
    """
    entry = _compiled.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, CompiledSchema(schema, kind))
        _compiled[id(schema)] = entry
    return entry[1]


class ProblemParameterValidator(ParameterValidator):
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> None:
        name = f"{parameter_type}.{param['name']}"
        if value is None:
            if param.get("required"):
                raise InvalidParams(name, "is required")
            return
        error = compiled(param["schema"]).first_error(value)
        if error is not None:
            raise InvalidParams(name, error[1])


def _coded(content_encoding: str) -> bool:
    """Whether a Content-Encoding value names a coding other than identity."""
    codings = (coding.strip().lower() for coding in content_encoding.split(","))
    return any(coding not in ("", "identity") for coding in codings)


class ProblemJSONBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        # The charset as the request validation layer (request_validation.py) read it.
        if self._encoding not in _UTF8:
            raise UnsupportedMediaType(
                f"JSON bodies must be encoded as UTF-8, not {self._encoding}."
            )
        # No coding is decoded: a body is read as sent, so one that claims a coding is refused.
        if any(_coded(value) for value in Headers(scope=scope).getlist("content-encoding")):
            raise UnsupportedContentEncoding()
        raw = b"".join([chunk async for chunk in stream])
        body = self._parsed(raw) if raw else NO_BODY
        scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    @staticmethod
    def _parsed(raw: bytes) -> Any:
        try:
            # orjson also rejects bytes that are not UTF-8 and lone surrogates, which the
            # stdlib parser lets through to fail later when stored.
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            if not str(error).startswith("depth limit exceeded"):
                raise MalformedBody(f"The body is not valid JSON in UTF-8: {error}") from None
            body = _TOO_DEEP
        if body is _TOO_DEEP or _nests_too_deep(raw):
            raise InvalidParams(
                _too_deep(raw),
                f"nests objects and arrays more than {BODY_MAX_DEPTH} levels deep (counting"
                f" the body): at most {BODY_MAX_DEPTH}",
            )
        return body

    def _validate(self, body: Any) -> None:
        if body is NO_BODY:
            if self._required:
                raise InvalidParams("body", "a request body is required")
            return
        error = compiled(self._schema, Draft4RequestValidator).first_error(body)
        if error is not None:
            path, reason = error
            raise InvalidParams(".".join(["body", *path]), reason)


def parsed_body(scope: Scope) -> Any:
    """The body of a request whose operation has a JSON body schema, as its validator parsed
    it: NO_BODY if it sent none. Only the body validator parses a body."""
    return scope["extensions"][PARSED_BODY]


VALIDATORS = {
    "parameter": ProblemParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": ProblemJSONBodyValidator}),
}
