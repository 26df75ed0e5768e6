"""Reading a request header straight from the ASGI scope.

ASGI servers hand header names over in lower case, so a raw bytes comparison finds one; the
general-purpose readers (Starlette's Headers, connexion's helper) build objects or decode every
header on each request.
"""

from collections.abc import Iterable


def raw_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower case) in a scope's ``headers``, or None."""
    for key, value in headers:
        if key == name:
            return bytes(value)
    return None
