"""The problems the HTTP edge raises, one class each, with its status, title, detail and the
headers it needs (Retry-After, Allow, RateLimit...). Whoever raises one, ``render`` writes it."""

import math

from connexion.exceptions import ProblemException

from server_impl.domain.rate_limits import Refusal, refill_s, shown

from .quoting import quoted

RETRY_AFTER_S = 1
"""How long a client should wait before retrying while the database is unavailable, or while
another request with its idempotency key is in flight (which usually takes milliseconds)."""


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
    """431: answered by the HTTP server itself (server_impl/ops/protocol/), then it closes."""

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
