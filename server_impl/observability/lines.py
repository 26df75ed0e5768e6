"""What every line of the server shares, access and application: the limits of its fields, how a
field or a line too long is cut, and its time (UTC, RFC 3339, to the millisecond)."""

import time
from typing import Literal

LogFormat = Literal["text", "json"]
MAX_MESSAGE = 4096
MAX_TRACEBACK = 16384
MAX_FIELD = 1024
MAX_LINE = 32768
FALLBACK_PART = MAX_LINE // 32
"""The message and the traceback's tail of a JSON line that escaping made longer than MAX_LINE:
JSON writes one character as at most 12 (a surrogate pair's two ``\\uXXXX``)."""

_second: tuple[int, str] = (-1, "")
"""The last whole second formatted, and its text: a busy server logs many lines a second."""
MILLISECONDS = [f".{milliseconds:03d}Z" for milliseconds in range(1000)]


def rfc3339_at(whole: int, milliseconds: int) -> str:
    """The time whole seconds and milliseconds after the epoch, in UTC."""
    global _second
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return _second[1] + MILLISECONDS[milliseconds]


def now() -> str:
    """This moment as rfc3339_at writes it."""
    milliseconds = time.time_ns() // 1_000_000
    return rfc3339_at(milliseconds // 1000, milliseconds % 1000)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_line(line: str) -> str:
    """At most MAX_LINE characters, its start and its end kept (where a traceback's error is)."""
    if len(line) <= MAX_LINE:
        return line
    half = MAX_LINE // 2
    return line[:half] + "…" + line[-(MAX_LINE - half - 1) :]
