"""Every error answer of the service, as RFC 9457 problem details (application/problem+json).

The HTTP edge raises the problems below; the rules raise domain errors, which become problems
here, in one place. Every problem, whoever answers it (connexion's exception middleware, a
middleware around connexion, the HTTP server's refusals), is written by one renderer, ``render``,
which puts the id of the request being served in its body as ``request_id``.

A value a client sent is quoted short, never whole: each problem is also logged (_raised). A 422
quotes it as JSON writes it (``json_quoted``: ``true``, ``null``), never as Python would.
"""

import json
import logging
import math
import reprlib
from http import HTTPStatus
from typing import Any

from connexion import ConnexionMiddleware
from connexion.exceptions import InternalServerError, OAuthProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    StorageUnavailable,
)
from server_impl.domain.rate_limits import Refusal, refill_s, shown
from server_impl.observability import request_id
from server_impl.observability.metrics import Metrics

_log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

RETRY_AFTER_S = 1
"""How long a client should wait before retrying while the database is unavailable, or while
another request with its idempotency key is in flight (which usually takes milliseconds)."""


class _Quote(reprlib.Repr):
    """repr() cut short: a string to its first characters and "…", a few items of a container."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = 40
        self.maxlevel = 1
        self.maxlist = self.maxdict = 3

    def repr_str(self, value: str, level: int) -> str:
        if len(value) <= self.maxstring:
            return repr(value)
        return repr(value[: self.maxstring]) + "…"


_QUOTE = _Quote()


def quoted(value: Any) -> str:
    """A short repr() of a value a client sent, for a problem's detail."""
    return _QUOTE.repr(value)


QUOTE_LENGTH = 40
"""How many characters of a value a 422 quotes at most (openapi.yaml, InvalidParam)."""


def json_quoted(value: Any) -> str:
    """A value a client sent as JSON writes it (``true``, ``null``, ``"text"``), cut short: a
    string to its first QUOTE_LENGTH characters, any other value to the first QUOTE_LENGTH
    characters of its JSON, each then followed by "…". Characters that are not printable are
    escaped as JSON escapes them (``\u202e``), so that none reaches a log line as it is."""
    if isinstance(value, str):
        text = json.dumps(value[:QUOTE_LENGTH], ensure_ascii=False)
        cut = len(value) > QUOTE_LENGTH
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
        cut = len(text) > QUOTE_LENGTH
        text = text[:QUOTE_LENGTH]
    return "".join(map(_printable, text)) + ("…" if cut else "")


def _printable(character: str) -> str:
    if character.isprintable():
        return character
    point = ord(character)
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000  # a UTF-16 surrogate pair, as JSON writes a character beyond U+FFFF
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


class MalformedBody(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(status=400, title="Bad Request", detail=detail)


class MalformedRequest(ProblemException):
    """400: answered by the HTTP server itself when its parser refuses a request, then it closes."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            status=400, title="Bad Request", detail=f"The request is not valid HTTP/1.1: {reason}"
        )


class MoreThanOneAuthorization(ProblemException):
    def __init__(self) -> None:
        super().__init__(
            status=400,
            title="Bad Request",
            detail="Send exactly one Authorization header, as 'Authorization: Bearer <key>'.",
        )


class MoreThanOneIdempotencyKey(ProblemException):
    def __init__(self) -> None:
        super().__init__(
            status=400,
            title="Bad Request",
            detail="Send at most one Idempotency-Key header. Nothing was changed.",
        )


class PathNotFound(ProblemException):
    def __init__(self, path: str) -> None:
        super().__init__(
            status=404, title="Not Found", detail=f"Nothing is served at {quoted(path)}."
        )


class MethodNotAllowed(ProblemException):
    def __init__(self, method: str, allow: str) -> None:
        super().__init__(
            status=405,
            title="Method Not Allowed",
            detail=f"{method} is not supported here; use one of {allow}.",
            headers={"Allow": allow},
        )


class ContentTooLarge(ProblemException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status=413,
            title="Content Too Large",
            detail=f"The body is larger than {limit} bytes.",
        )


class HeadTooLarge(ProblemException):
    """431: answered by the HTTP server itself (server_impl/ops/protocol.py), then it closes."""

    def __init__(self, detail: str) -> None:
        super().__init__(status=431, title="Request Header Fields Too Large", detail=detail)


class Overloaded(ProblemException):
    """503: the process is at its connection limit and none of them is idle."""

    def __init__(self) -> None:
        super().__init__(
            status=503,
            title="Service Unavailable",
            detail="The server is at its limit of open connections; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


class OrganizationBusy(ProblemException):
    """429: the acting organization has as many requests in flight in this process as it may
    (api/middleware/organization_in_flight.py); one of them usually ends within a second."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status=429,
            title="Too Many Requests",
            detail=f"Your organization already has {limit} requests in flight here, as many as"
            " it may; retry once one of them is answered. Nothing was read or changed.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


class TooManyFailedAuthentications(ProblemException):
    """429: too many requests from the client's address were answered 401 lately
    (api/middleware/failed_authentications.py); no key is read until retry_after_s passes."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            status=429,
            title="Too Many Requests",
            detail="Too many requests from your address failed authentication; retry in"
            f" {retry_after_s} s with a valid API key. Nothing was read or changed.",
            headers={"Retry-After": str(retry_after_s)},
        )


class KeyOverRate(ProblemException):
    """429: the key sent more requests than its rate limit allows (domain/rate_limits.py).
    Besides Retry-After, the limit and its state as the IETF httpapi draft's RateLimit-Policy
    and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11)."""

    def __init__(self, refusal: Refusal) -> None:
        key_limit, wait = refusal.limit, refusal.retry_after_s
        seconds = "second" if wait == 1 else "seconds"
        super().__init__(
            status=429,
            title="Too Many Requests",
            detail=(
                f"This API key sent more requests than its limit ({key_limit.burst} at once,"
                f" then {shown(key_limit.rate_per_s)}); retry after {wait} {seconds}. Nothing"
                " was read or changed."
            ),
            headers={
                "Retry-After": str(wait),
                "RateLimit-Policy": (
                    f'"key";q={key_limit.burst};w={math.ceil(refill_s(key_limit))}'
                ),
                "RateLimit": f'"key";r=0;t={wait}',
            },
        )


class UnsupportedMediaType(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(status=415, title="Unsupported Media Type", detail=detail)


class UnsupportedContentEncoding(ProblemException):
    """415 naming the one content coding accepted (RFC 9110, 15.5.16)."""

    def __init__(self) -> None:
        super().__init__(
            status=415,
            title="Unsupported Media Type",
            detail="Send the body uncompressed: no Content-Encoding but identity is accepted.",
            headers={"Accept-Encoding": "identity"},
        )


class MissingOrRepeatedHost(ProblemException):
    """400: an HTTP/1.1 request without a Host field, or any request with more than one
    (RFC 9112, 3.2): which resource it names is ambiguous."""

    def __init__(self, count: int) -> None:
        said = "has no Host header field" if count == 0 else f"has {count} Host header fields"
        super().__init__(
            status=400,
            title="Bad Request",
            detail=f"The request {said}; send exactly one. Nothing was read or changed.",
        )


class TransferCodingNotImplemented(ProblemException):
    """501: a transfer coding other than chunked, which the server cannot decode (RFC 9112,
    6.1); reading the body as sent would misread it."""

    def __init__(self, coding: str) -> None:
        super().__init__(
            status=501,
            title="Not Implemented",
            detail=(
                f"The transfer coding {quoted(coding)} is not supported; send the body with "
                "Content-Length or Transfer-Encoding: chunked alone. Nothing was read or changed."
            ),
        )


class InvalidParams(ProblemException):
    """422: values that break the contract, each named as ``<where>.<field>``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            status=422,
            title="Unprocessable Content",
            detail=f"{name}: {reason}",
            ext={"invalid_params": [{"name": name, "reason": reason}]},
        )


def render(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    ext: dict[str, Any] | None = None,
    type: str | None = None,
    instance: str | None = None,
) -> ConnexionResponse:
    """The one writer of problems: the members connexion's ``problem`` writes, in its order,
    then the ``request_id`` of the request being served (none outside one)."""
    members: dict[str, Any] = {"type": type or "about:blank", "title": title, "detail": detail}
    members["status"] = status
    if instance:
        members["instance"] = instance
    if ext:
        members.update(ext)
    served = request_id.current.get()
    if served is not None:
        members["request_id"] = served
    return ConnexionResponse(
        status,
        PROBLEM_JSON,
        PROBLEM_JSON,
        body=json.dumps(members).encode(),
        headers=dict(headers) if headers else None,  # ConnexionResponse adds to the dict
    )


def rendered(problem: ProblemException) -> ConnexionResponse:
    """A problem raised, as render writes it."""
    return render(
        problem.status,
        problem.title,
        problem.detail,
        headers=problem.headers,
        ext=problem.ext,
        type=problem.type,
        instance=problem.instance,
    )


class _Answer:
    """A problem as an ASGI app, rendered when it runs, in the request it answers: the HTTP
    server's refusals are made before the request id is chosen (ops/protocol.py)."""

    def __init__(self, problem: ProblemException, headers: dict[str, str] | None) -> None:
        self.problem = problem
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = rendered(self.problem)
        headers = {**answer.headers, **self.headers} if self.headers else answer.headers
        await Response(
            answer.body, status_code=answer.status_code, headers=headers, media_type=PROBLEM_JSON
        )(scope, receive, send)


def response(problem: ProblemException, headers: dict[str, str] | None = None) -> ASGIApp:
    """A problem as a response (an ASGI app) with headers besides its own, for the middleware
    around connexion, whose own error handling covers only what is raised inside it."""
    return _Answer(problem, headers)


STATUS_OF: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    InvalidValue: (422, "Unprocessable Content"),
    PreconditionFailed: (412, "Precondition Failed"),
    Conflict: (409, "Conflict"),
    StorageUnavailable: (503, "Service Unavailable"),
}
"""The answer to each kind of domain error (subclasses answer as their base)."""
_RETRY_LATER = {409, 503}
"""The answers that say when to retry: the same request may succeed then."""


def _domain_problem(error: Exception) -> ConnexionResponse:
    if isinstance(error, InvalidValue):  # named, as connexion's own 422s are
        return rendered(InvalidParams(error.name, error.detail))
    kind = next(base for base in type(error).__mro__ if base in STATUS_OF)
    status, title = STATUS_OF[kind]
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status in _RETRY_LATER else None
    assert isinstance(error, DomainError)
    return render(status, title, error.detail, headers=headers)


UNAUTHORIZED = "conversations.unauthorized"
"""The scope extension marking a request answered 401: every 401 is made here, once, and the
limit on failed authentications per address (api/middleware/failed_authentications.py) reads it
once the answer is sent, rather than watching every answer's status go by."""


def _unauthorized(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Every 401 says which scheme to use (RFC 9110, 11.6.1)."""
    assert isinstance(error, OAuthProblem)
    request.scope.setdefault("extensions", {})[UNAUTHORIZED] = True
    return render(
        401,
        "Unauthorized",
        f"{error.detail}. Send an API key as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="conversations"'},
    )


def _client_left(_request: ConnexionRequest, _error: Exception) -> ConnexionResponse:
    # A client gone before its body arrived is routine, not a server error; nobody reads this.
    return rendered(MalformedBody("The connection closed before the whole body arrived."))


def _raised(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """A problem raised anywhere inside connexion, ours or its own (in place of connexion's
    handler, which writes it without the request id), logged as connexion logs it."""
    assert isinstance(error, ProblemException)
    _log.log(logging.WARNING if error.status < 500 else logging.ERROR, "%r", error)
    return rendered(error)


def _http_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Starlette's HTTPException, as connexion answers it, with the request id."""
    assert isinstance(error, HTTPException)
    _log.log(logging.WARNING if error.status_code < 500 else logging.ERROR, "%r", error)
    return render(
        error.status_code,
        HTTPStatus(error.status_code).phrase,
        error.detail,
        headers=dict(error.headers or {}),
    )


def _unexpected(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """An error nothing expected: logged once, with its traceback, and answered 500."""
    _log.error("%r", error, exc_info=error)
    return rendered(InternalServerError())


def install(app: ConnexionMiddleware, metrics: Metrics | None) -> None:
    """Registers the answers to errors that are not problems already."""

    def domain_problem(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        if metrics and isinstance(error, StorageUnavailable):
            metrics.database_unavailable.inc()
        return _domain_problem(error)

    app.add_error_handler(ProblemException, _raised)
    app.add_error_handler(HTTPException, _http_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(DomainError, domain_problem)
    app.add_error_handler(OAuthProblem, _unauthorized)
    app.add_error_handler(ClientDisconnect, _client_left)
