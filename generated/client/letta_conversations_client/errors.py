"""The errors that the API functions raise.

``sync()`` and ``asyncio()`` raise, for every answer that is not a success, an ``ApiError``: the
class of its status when the API documents that status, ``UnexpectedStatus`` otherwise. Each
carries the status, the answer's headers and body, and the body parsed as a problem detail
(RFC 9457). The ``*_detailed`` functions return every answer instead.
"""

import json
from collections.abc import Mapping
from typing import Any

import httpx

from .models.invalid_param import InvalidParam
from .models.problem import Problem
from .types import Response, Unset


class ApiError(Exception):
    """An answer that is not a success.

    Attributes:
        status_code: The answer's HTTP status.
        content: The answer's body.
        headers: The answer's headers (``Retry-After``, ``X-Request-Id``, ...).
        problem: The body parsed as a problem detail, or None if it is not one.
    """

    def __init__(self, status_code: int, content: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = httpx.Headers(headers or {})
        self.problem = _problem(content)
        described = f"{self.title}: {self.detail}" if self.problem is not None else content.decode(errors="ignore")
        super().__init__(f"{status_code} {described}")

    @property
    def title(self) -> str | None:
        """The problem's title (``Not Found``), if the body is a problem."""
        return self.problem.title if self.problem is not None else None

    @property
    def detail(self) -> str | None:
        """What went wrong this time, if the body is a problem."""
        return self.problem.detail if self.problem is not None else None

    @property
    def invalid_params(self) -> list[InvalidParam]:
        """The values that broke the contract, with why (a 422); empty otherwise."""
        if self.problem is None or isinstance(self.problem.invalid_params, Unset):
            return []
        return self.problem.invalid_params

    @property
    def request_id(self) -> str | None:
        """The request's id, to quote when reporting a problem: the problem's, or the header's."""
        if self.problem is not None and not isinstance(self.problem.request_id, Unset):
            return self.problem.request_id
        header: str | None = self.headers.get("x-request-id")
        return header


def _problem(content: bytes) -> Problem | None:
    try:
        body: Any = json.loads(content)
        return Problem.from_dict(body) if isinstance(body, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


class UnexpectedStatus(ApiError):
    """An answer with a status the API does not document for the operation."""


class BadRequestError(ApiError):
    """400 Bad Request: the request is malformed (JSON, headers)."""


class UnauthorizedError(ApiError):
    """401 Unauthorized: the API key is missing, malformed, unknown or revoked."""


class NotFoundError(ApiError):
    """404 Not Found: no such resource, or not the caller's to see."""


class ConflictError(ApiError):
    """409 Conflict: the request conflicts with one still in flight; retry after Retry-After."""


class PreconditionFailedError(ApiError):
    """412 Precondition Failed: If-Match names no current version; read again, then retry."""


class PayloadTooLargeError(ApiError):
    """413 Content Too Large: the body is over the server's limit."""


class UnsupportedMediaTypeError(ApiError):
    """415 Unsupported Media Type: the body is not uncompressed UTF-8 JSON."""


class UnprocessableEntityError(ApiError):
    """422 Unprocessable Content: a value breaks the contract; see invalid_params."""


class TooManyRequestsError(ApiError):
    """429 Too Many Requests: a rate or in-flight limit refused it; retry after Retry-After."""


class RequestHeaderFieldsTooLargeError(ApiError):
    """431 Request Header Fields Too Large."""


class NotImplementedByServerError(ApiError):
    """501 Not Implemented: the request uses what the server does not implement (a transfer coding other than chunked)."""


class ServiceUnavailableError(ApiError):
    """503 Service Unavailable: retry after Retry-After."""


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: TooManyRequestsError,
    431: RequestHeaderFieldsTooLargeError,
    501: NotImplementedByServerError,
    503: ServiceUnavailableError,
}


def error_for(status_code: int, content: bytes, headers: Mapping[str, str] | None = None) -> ApiError:
    """The error of an answer: of its status's class if documented, else UnexpectedStatus."""
    return ERRORS_BY_STATUS.get(status_code, UnexpectedStatus)(status_code, content, headers)


def raise_for_status(response: Response[Any]) -> None:
    """Raises the error of an answer that is not a success (an undocumented success included)."""
    if response.status_code >= 400 or response.parsed is None:
        raise error_for(response.status_code, response.content, response.headers)


__all__ = [
    "ERRORS_BY_STATUS",
    "ApiError",
    "BadRequestError",
    "UnauthorizedError",
    "NotFoundError",
    "ConflictError",
    "PreconditionFailedError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "UnprocessableEntityError",
    "TooManyRequestsError",
    "RequestHeaderFieldsTooLargeError",
    "NotImplementedByServerError",
    "ServiceUnavailableError",
    "UnexpectedStatus",
    "error_for",
    "raise_for_status",
]
