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
