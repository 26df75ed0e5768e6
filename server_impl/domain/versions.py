"""Versions of conversations, their entity tags (RFC 9110, 8.8.3) and If-Match (13.1.1)."""

import re
from dataclasses import dataclass

from generated.models import Conversation

Versions = frozenset[int]
"""The versions an If-Match header accepts; None where it accepts any (or is absent)."""

# As etag() writes them: no leading zeros, so "007" is not the tag of version 7.
_STRONG_TAG = re.compile(r'"(0|[1-9][0-9]{0,17})"')


@dataclass(frozen=True, slots=True)
class Versioned:
    """A conversation with its version, which every change bumps (the source of its ETag)."""

    conversation: Conversation
    version: int


def etag(version: int) -> str:
    """A strong ETag: the conversation's version."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> Versions | None:
    """The versions If-Match accepts: None for no header or ``*`` (any current version).

    Weak tags never match (If-Match compares strongly), nor do tags this server never issues,
    so a header of only those accepts no version.
    """
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        match = _STRONG_TAG.fullmatch(tag.strip())
        if match:
            versions.add(int(match[1]))
    return frozenset(versions)
