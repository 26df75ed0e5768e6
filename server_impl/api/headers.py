"""Reading request headers straight from the ASGI scope.

ASGI servers hand header names over in lower case, so a raw bytes comparison finds one; the
general-purpose readers (Starlette's Headers, connexion's helper) build objects or decode every
header on each request.
"""

from collections.abc import Iterable
from email.message import Message


def raw_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower case) in a scope's ``headers``, or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


def charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type value, in lower case, or None."""
    if ";" not in content_type:
        return None
    # The standard library's parser: connexion's misses a charset after "; " (with the space).
    header = Message()
    header["content-type"] = content_type
    return header.get_content_charset()
