"""A value a client sent, quoted short in a problem's detail, never whole: each problem is also
logged (error_handlers.py). A 422 quotes it as JSON writes it (``json_quoted``: ``true``,
``null``), never as Python would."""

import json
import reprlib
from typing import Any


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
