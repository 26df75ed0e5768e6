"""Who is acting: the user (and organization) whose API key authenticated a request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str
    organization_id: str
