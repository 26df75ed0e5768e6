"""connexion's JSON body validator: the body read as sent (UTF-8, no content coding), parsed
once and handed on in the scope (``parsed_body``), and checked against its compiled schema.

A body that is not JSON in UTF-8 is a 400; one that breaks the schema a 422 naming what is wrong,
where connexion answered 400 for both. A body nested deeper than BODY_MAX_DEPTH is a 422 naming
the member that holds it, however deep: orjson refused past 1024 levels (400), and pydantic,
reading the body again, past 200 (a 422 quoting the body as a Python bytes repr).
"""

import operator
import re
from collections.abc import AsyncIterator
from itertools import accumulate, count
from typing import Any

import orjson
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import JSONRequestBodyValidator
from starlette.datastructures import Headers
from starlette.types import Scope

from server_impl.api.problems import (
    InvalidParams,
    MalformedBody,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
)

from .schemas import compiled

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
