"""Every error answer of the service, as RFC 9457 problem details (application/problem+json).

The HTTP edge raises the problems of ``catalogue``; the rules raise domain errors, which become
problems in one place, ``error_handlers`` (``STATUS_OF``), which also says what connexion
answers for every other error. Every problem, whoever answers it, is written by one renderer,
``rendering.render``, with the request id. A value a client sent is quoted short (``quoting``).

The names the rest of the service imports are all here.
"""

from .catalogue import (
    ContentTooLarge,
    HeadTooLarge,
    InvalidParams,
    KeyOverRate,
    MalformedBody,
    MalformedRequest,
    MethodNotAllowed,
    MissingOrRepeatedHost,
    MoreThanOneAuthorization,
    MoreThanOneIdempotencyKey,
    OrganizationBusy,
    Overloaded,
    PathNotFound,
    TooManyFailedAuthentications,
    TransferCodingNotImplemented,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
)
from .error_handlers import STATUS_OF, UNAUTHORIZED, install
from .quoting import json_quoted
from .rendering import render, response

__all__ = [
    "STATUS_OF",
    "UNAUTHORIZED",
    "ContentTooLarge",
    "HeadTooLarge",
    "InvalidParams",
    "KeyOverRate",
    "MalformedBody",
    "MalformedRequest",
    "MethodNotAllowed",
    "MissingOrRepeatedHost",
    "MoreThanOneAuthorization",
    "MoreThanOneIdempotencyKey",
    "OrganizationBusy",
    "Overloaded",
    "PathNotFound",
    "TooManyFailedAuthentications",
    "TransferCodingNotImplemented",
    "UnsupportedContentEncoding",
    "UnsupportedMediaType",
    "install",
    "json_quoted",
    "render",
    "response",
]
