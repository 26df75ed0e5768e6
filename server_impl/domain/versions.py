"""Versions of conversations, their entity tags (RFC 9110, 8.8.3) and If-Match (13.1.1)."""

import re
from dataclasses import dataclass
from typing import Literal

from .model_settings import ConversationAsStored

Versions = frozenset[int]
"""Versions a write accepts; None where it accepts any."""

IfMatch = Versions | Literal["*"]
"""What an If-Match header accepts: these versions, or with ``*`` any version, so long as the
conversation exists (RFC 9110, 13.1.1); unlike no header, ``*`` never lets a write make one."""

# As etag() writes them: no leading zeros, so "007" is not the tag of version 7.
_STRONG_TAG = re.compile(r'"(0|[1-9][0-9]{0,17})"')


@dataclass(frozen=True, slots=True)
class Versioned:
    """A conversation with its version, which every change bumps (the source of its ETag)."""

    conversation: ConversationAsStored
    version: int


def etag(version: int) -> str:
    """A strong ETag: the conversation's version."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> IfMatch | None:
    """What If-Match accepts: None for no header, ``*`` for a lone ``*``, else versions.

    Weak tags never match (If-Match compares strongly), nor do tags this server never issues,
    so a header of only those accepts no version.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return "*"
    versions = set()
    for tag in header.split(","):
        match = _STRONG_TAG.fullmatch(tag.strip())
        if match:
            versions.add(int(match[1]))
    return frozenset(versions)


def versions_to_test(if_match: IfMatch | None) -> Versions | None:
    """The versions a write of an existing conversation must find: any (None) for no header
    or ``*``, since every such write already needs the conversation to exist."""
    return if_match if isinstance(if_match, frozenset) else None
