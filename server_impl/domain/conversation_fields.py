"""A create's or update's fields as the rules take them: bounded, in UTC, a patch as Changes."""

from datetime import UTC, datetime

from .errors import InvalidValue
from .model_settings import (
    ConversationCreateAsGiven,
    ConversationUpdateAsGiven,
    model_settings_problem,
)
from .ports import PLAIN_FIELDS, Changes


def in_utc(name: str, moment: datetime) -> datetime:
    """moment in UTC, as every time is stored and answered; one whose UTC falls outside years
    1 to 9999 (as 0001-01-01T00:00:00+01:00) cannot be."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(
            f"body.{name}", f"{moment.isoformat()} is out of range: in UTC, years 1 to 9999"
        ) from None


def check_fields(fields: ConversationCreateAsGiven | ConversationUpdateAsGiven) -> None:
    """The bounds of what a conversation holds that the contract's schema cannot state:
    model_settings within its size and depth (model_settings.py). Raises InvalidValue."""
    if fields.model_settings is not None:
        problem = model_settings_problem(fields.model_settings)
        if problem is not None:
            raise InvalidValue("body.model_settings", problem)


def changes_of(patch: ConversationUpdateAsGiven, now: datetime) -> Changes:
    """The merge-patch as storage applies it, once check_fields has passed it. `archived:
    null` clears, as null does: like false, it unarchives."""
    check_fields(patch)
    given = patch.model_fields_set
    fields = {name: getattr(patch, name) for name in PLAIN_FIELDS if name in given}
    last_message_at = fields.get("last_message_at")
    if isinstance(last_message_at, datetime):
        fields["last_message_at"] = in_utc("last_message_at", last_message_at)
    if "archived" not in given:
        return Changes(fields)
    archive = bool(patch.archived)
    return Changes(fields, archive=archive, archived_at=now if archive else None)
