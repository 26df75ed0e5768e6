"""A conversation's row: its columns, how one is read into the model, and the insert that makes
one (a create's, an idempotent create's, a default's)."""

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from server_impl.domain.model_settings import ConversationAsStored, JsonObject
from server_impl.domain.ports import ConversationFields, NewConversation
from server_impl.domain.versions import Versioned

from .sql import Engine, Query, Row

COLUMNS = (
    "id, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,"
    " last_updated_by_id, summary, updated_at, version, description, model,"
    " context_window_limit, last_message_at, archived_at, model_settings"
)
RETURNING = f"RETURNING {COLUMNS}"
LIVE = "organization_id = :organization_id AND deleted_at IS NULL"
INSERT = (
    "INSERT INTO conversations (id, organization_id, agent_id, is_default, summary,"
    " description, model, context_window_limit, model_settings, hidden,"
    " created_at, created_by_id, updated_at, last_updated_by_id)"
    " VALUES (:id, :organization_id, :agent_id, :is_default, :summary,"
    " :description, :model, :context_window_limit, :model_settings, :hidden,"
    " :created_at, :created_by_id, :created_at, :created_by_id)"
)

_AS_STORED = ConversationAsStored.__pydantic_validator__
_TIMES = ("created_at", "updated_at", "last_message_at", "archived_at")


def answered(answer: str) -> ConversationAsStored:
    """A create's answer as kept for its Idempotency-Key: parsed, not constructed, so that the
    times come back as the datetimes they were. One that this release's model refuses (kept
    under earlier rules: a model handle beyond visible ASCII, say) is replayed as kept, never a
    500."""
    try:
        return ConversationAsStored.model_validate_json(answer)
    except ValidationError:
        values = json.loads(answer)
        for name in _TIMES:
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        return ConversationAsStored.model_construct(**values)


def _json_list(text: str) -> list[Any]:
    """A stored JSON array; nearly always empty, which needs no parser."""
    return [] if text == "[]" else list(json.loads(text))


def json_text(value: JsonObject | None) -> str | None:
    """model_settings as stored: JSON text, compact, its keys in the order given. Strings are
    escaped as JSON escapes them, so U+0000, which PostgreSQL's text cannot hold, is stored as
    \\u0000."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ConversationRows(Engine):
    """Conversations' rows read and made, on either engine."""

    _insert = Query(f"{INSERT} {RETURNING}")

    def _new(self, new: NewConversation, *, is_default: bool) -> dict[str, object]:
        """The parameters of INSERT."""
        return {
            "id": new.id,
            "organization_id": new.organization_id,
            "agent_id": new.agent_id,
            "is_default": is_default,
            "summary": new.summary,
            "description": new.description,
            "model": new.model,
            "context_window_limit": new.context_window_limit,
            "model_settings": json_text(new.model_settings),
            "hidden": new.hidden,
            "created_at": self._time(new.created_at),
            "created_by_id": new.created_by_id,
        }

    def _fields(self, row: Row) -> ConversationFields:
        """A row of COLUMNS, read by position (cheaper than by name, 50 times a page), as the
        model of a conversation holds it, with no model built."""
        (
            id_, agent_id, created_at, created_by_id, in_context_message_ids, isolated_block_ids,
            last_updated_by_id, summary, updated_at, _version, description, model,
            context_window_limit, last_message_at, archived_at, settings,
        ) = row  # fmt: skip
        time = self._read_time
        return {
            "id": id_,
            "agent_id": agent_id,
            "archived": archived_at is not None,
            "archived_at": None if archived_at is None else time(archived_at),
            "context_window_limit": context_window_limit,
            "created_at": None if created_at is None else time(created_at),
            "created_by_id": created_by_id,
            "description": description,
            "in_context_message_ids": _json_list(in_context_message_ids),
            "isolated_block_ids": _json_list(isolated_block_ids),
            "last_message_at": None if last_message_at is None else time(last_message_at),
            "last_updated_by_id": last_updated_by_id,
            "model": model,
            "model_settings": None if settings is None else json.loads(settings),
            "summary": summary,
            "updated_at": None if updated_at is None else time(updated_at),
        }

    def _versioned(self, row: Row) -> Versioned:
        values = self._fields(row)
        try:
            conversation = _AS_STORED.validate_python(values)
        except ValidationError:
            # A row written under earlier rules that this release's model refuses (a longer
            # summary, say) is still answered as stored, never a 500.
            conversation = ConversationAsStored.model_construct(**values)
        return Versioned(conversation, row["version"])

    def _maybe(self, row: Row | None) -> Versioned | None:
        return None if row is None else self._versioned(row)
