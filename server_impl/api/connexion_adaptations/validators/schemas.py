"""The spec's schemas, each compiled once and checked by jsonschema-rs, an invalid value
explained by jsonschema: connexion compiled a JSON Schema validator for every parameter and body
of every request; these take the cheap is_valid path unless the value is invalid.

A value that fails a union (`oneOf`, `anyOf`) is explained by the member it was meant for:
jsonschema's best_match weighs every member's errors alike and, for model_settings, named
`body.model_settings` with "... is not valid under any of the given schemas" whatever was wrong.
"""

from collections.abc import Iterable
from typing import Any

import jsonschema_rs
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match, relevance

from .reasons import reason, reason_of_fast


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
            return [str(part) for part in error.absolute_path], reason(error)
        if not rejected:
            return None
        fast = next(iter(self._fast.iter_errors(value)))
        return [str(part) for part in fast.instance_path], reason_of_fast(fast)

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
