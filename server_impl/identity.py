"""Who is acting. Every handler learns the acting user from here and nowhere else."""

from dataclasses import dataclass

from connexion.context import context


@dataclass(frozen=True)
class Actor:
    user_id: str
    organization_id: str


def acting_user() -> Actor:
    """The user whose API key authenticated the current request (see security.py)."""
    actor = context["token_info"]["actor"]
    assert isinstance(actor, Actor)
    return actor
