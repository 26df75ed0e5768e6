"""The id of the request being served: the client's X-Request-Id when well formed, otherwise
one made here. Logs (logs.py) read it from here; the RequestId middleware
(server_impl/api/middleware/request_id.py) sets it and answers it."""

import os
import re
from contextvars import ContextVar

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_WELL_FORMED = re.compile(rb"[\x21-\x7e]{1,%d}" % MAX_LENGTH)

current: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request this code serves, None outside one."""


def new() -> str:
    """32 random hex digits: as unique as a UUID4, at a tenth of its cost."""
    return os.urandom(16).hex()


def chosen(sent: bytes | None) -> str:
    """The client's id if it sent a well-formed one (visible ASCII, at most MAX_LENGTH
    characters), else a new one: an id from the client is logged and answered, so it must not
    break a log line or a header."""
    if sent is not None and _WELL_FORMED.fullmatch(sent):
        return sent.decode("ascii")
    return new()
