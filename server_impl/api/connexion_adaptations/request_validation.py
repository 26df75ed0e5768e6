"""Request validation prepared once per operation and media type.

connexion 3.3's RequestValidationOperation rebuilds, on every request, its URI parser and
parameter validator, and looks the body schema and validator up through media-type dictionaries
matched with fnmatch. CachingRequestValidationMiddleware keeps the same checks, in the same
order, and remembers those per operation and per accepted media type (a bounded set: only types
the operation consumes are remembered).
"""

from dataclasses import dataclass
from typing import Any

from connexion import utils
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import AbstractOperation
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from server_impl.api.headers import charset, raw_header


@dataclass(frozen=True)
class _BodyPlan:
    validator_cls: Any | None
    schema: dict[str, Any]
    required: bool
    nullable: bool


class CachingRequestValidationOperation(RequestValidationOperation):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operation = self._operation
        self._uri_parser = operation._uri_parser_class(
            operation.parameters, operation.body_definition()
        )
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=self._uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        self._bodies: dict[str, _BodyPlan] = {}

    def _body_plan(self, mime_type: str) -> _BodyPlan:
        """The checks for a body of mime_type (lower case), made on first use.

        An operation that consumes no body accepts any type and has no schema: one plan, under
        one key, whatever types clients send. Otherwise only consumed types are kept.
        """
        key = mime_type if self._operation.consumes else ""
        plan = self._bodies.get(key)
        if plan is None:
            self.validate_mime_type(mime_type)  # raises 415 for a type not consumed: not kept
            schema = self._operation.body_schema(mime_type)
            validator_cls = self._validator_map["body"].get(mime_type) if schema else None
            plan = _BodyPlan(
                validator_cls=validator_cls,
                schema=schema,
                required=bool(self._operation.request_body.get("required", False)),
                nullable=utils.is_nullable(self._operation.body_definition(mime_type)),
            )
            self._bodies[key] = plan
        return plan

    def extract_content_type(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        """(media type in lower case, charset), the charset read correctly.

        connexion's helper decodes every header and builds typing generics on each call, and
        misses a charset written after "; ". Media types are case-insensitive (RFC 9110, 8.3.1)
        while connexion looks schemas up case-sensitively: lower case finds the spec's.
        """
        raw = raw_header(headers, b"content-type")
        if raw is None:  # connexion's guess: the first type the operation consumes
            return next(iter(self._operation.consumes), "application/octet-stream"), "utf-8"
        content_type = raw.decode("latin-1")
        return content_type.split(";", 1)[0].strip().lower(), charset(content_type) or "utf-8"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._parameter_validator.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        plan = self._body_plan(mime_type)
        if plan.validator_cls is not None:
            validator = plan.validator_cls(
                schema=plan.schema,
                required=plan.required,
                nullable=plan.nullable,
                encoding=encoding,
                strict_validation=self.strict_validation,
                uri_parser=self._uri_parser,
            )
            receive, scope = await validator.wrap_receive(_body_or_left(receive), scope=scope)
        await self.next_app(scope, receive, send)


def _body_or_left(receive: Receive) -> Receive:
    """receive, raising ClientDisconnect if the client leaves before its body is whole, as
    Starlette's Request does: connexion's body reader would take the disconnect for the body's
    end, and the request would go on with what had arrived (or with no body)."""

    async def body_message() -> Message:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        return message

    return body_message


class _CachingAPI(RequestValidationAPI):
    def make_operation(self, operation: AbstractOperation) -> RequestValidationOperation:
        return CachingRequestValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class CachingRequestValidationMiddleware(RequestValidationMiddleware):
    api_cls = _CachingAPI
