"""The problem details (RFC 9457) this service answers with, as exceptions to raise.

connexion's exception middleware turns each into an ``application/problem+json`` response.
"""

from connexion.exceptions import ProblemException


class MalformedBody(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(status=400, title="Bad Request", detail=detail)


class NotFound(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(status=404, title="Not Found", detail=detail)


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


class PreconditionFailed(ProblemException):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            status=412,
            title="Precondition Failed",
            detail=f"Conversation {conversation_id} has changed since the ETag in If-Match;"
            " retrieve it again and retry. Nothing was changed.",
        )


class ServiceUnavailable(ProblemException):
    RETRY_AFTER_S = 1

    def __init__(self) -> None:
        super().__init__(
            status=503,
            title="Service Unavailable",
            detail="The database cannot be reached right now; retry later.",
            headers={"Retry-After": str(self.RETRY_AFTER_S)},
        )


class UnsupportedMediaType(ProblemException):
    def __init__(self, detail: str) -> None:
        super().__init__(status=415, title="Unsupported Media Type", detail=detail)


class InvalidParams(ProblemException):
    """422: values that break the contract, each named as ``<where>.<field>``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            status=422,
            title="Unprocessable Content",
            detail=f"{name}: {reason}",
            ext={"invalid_params": [{"name": name, "reason": reason}]},
        )


def conversation_not_found(conversation_id: str) -> NotFound:
    return NotFound(f"No conversation {conversation_id}.")
