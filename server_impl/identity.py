"""Who is acting. Every handler learns the acting user from here and nowhere else."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str
    organization_id: str


# Until API keys exist every request acts as Letta's well-known local user, as upstream does
# when it runs without authentication.
LOCAL_ACTOR = Actor(
    user_id="user-00000000-0000-4000-8000-000000000000",
    organization_id="org-00000000-0000-4000-8000-000000000000",
)


def acting_user() -> Actor:
    return LOCAL_ACTOR
