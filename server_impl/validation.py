"""How connexion checks requests against openapi.yaml, adjusted to this API's error contract.

connexion answers every failed check with 400. Upstream Letta, and the official SDK's
``UnprocessableEntityError``, use 422 for values that break the schema, keeping 400 for a body
that is not JSON at all. These validators keep connexion's checks and change only the answer.

connexion also compiles a JSON Schema validator for every parameter and body of every request;
these compile each schema once and take the cheap is_valid path unless the value is invalid.
"""

from collections.abc import AsyncIterator
from email.message import Message
from typing import Any

import orjson
from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers
from starlette.types import Scope

from .problems import InvalidParams, MalformedBody, UnsupportedMediaType

_ABSENT = object()
_UTF8 = {"utf-8", "utf8"}


_compiled: dict[int, tuple[dict[str, Any], Draft4Validator]] = {}


def compiled(schema: dict[str, Any], kind: type[Draft4Validator] = Draft4Validator) -> Any:
    """The validator of a schema of the spec, compiled on first use.

    connexion hands over the same schema objects on every request, so their identity is the key;
    the stored schema keeps that identity from being reused.
    """
    entry = _compiled.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, kind(schema, format_checker=Draft4Validator.FORMAT_CHECKER))
        _compiled[id(schema)] = entry
    return entry[1]


def _first_error(validator: Any, value: Any) -> ValidationError | None:
    if validator.is_valid(value):
        return None
    error: ValidationError = best_match(validator.iter_errors(value))
    return error


def _field_name(location: str, error: ValidationError) -> str:
    return ".".join([location, *(str(part) for part in error.absolute_path)])


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
        error = _first_error(compiled(param["schema"]), value)
        if error is not None:
            raise InvalidParams(name, error.message)


def _declared_charset(scope: Scope) -> str | None:
    # connexion misses a charset written after "; " (with the customary space), so read the
    # header with the standard library's parser instead.
    header = Message()
    header["content-type"] = Headers(scope=scope).get("content-type", "")
    return header.get_content_charset()


class ProblemJSONBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        charset = _declared_charset(scope)
        if charset is not None and charset not in _UTF8:
            raise UnsupportedMediaType(f"JSON bodies must be encoded as UTF-8, not {charset}.")
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return _ABSENT
        try:
            # orjson also rejects bytes that are not UTF-8 and lone surrogates, which the
            # stdlib parser lets through to fail later when stored.
            return orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise MalformedBody(f"The body is not valid JSON in UTF-8: {error}") from None

    def _validate(self, body: Any) -> None:
        if body is _ABSENT:
            if self._required:
                raise InvalidParams("body", "a request body is required")
            return
        error = _first_error(compiled(self._schema, Draft4RequestValidator), body)
        if error is not None:
            raise InvalidParams(_field_name("body", error), error.message)


VALIDATORS = {
    "parameter": ProblemParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": ProblemJSONBodyValidator}),
}
