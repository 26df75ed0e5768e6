"""Listing by last_message_at (order_by=last_message_at): pages cut by keyset on
(organization, last message time, id), through indexes of that order, so a page deep in 10^6
conversations costs what the first one does.

A conversation without a last message sorts before every time (last in a newest-first list,
first in an oldest-first one). The key is an expression that is never NULL, so that one range
condition bounds a page on both engines: SQLite stores times as text, and '' sorts before every
one of them; PostgreSQL has '-infinity'. The list query uses the same expressions
(server_impl/storage/sqlite.py, postgres.py); tests/storage/test_query_plans.py pins that the
planner uses these indexes.

Archived conversations, usually few, get partial indexes of their own, as in 0004.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ARCHIVED = sa.text("archived_at IS NOT NULL")
LAST_MESSAGE_KEY = {
    "sqlite": "COALESCE(last_message_at, '')",
    "postgresql": "COALESCE(last_message_at, '-infinity'::timestamptz)",
}
INDEXES = {
    "conversations_by_last_message": (["organization_id"], None),
    "conversations_by_agent_last_message": (["organization_id", "agent_id"], None),
    "conversations_archived_by_last_message": (["organization_id"], ARCHIVED),
    "conversations_archived_by_agent_last_message": (["organization_id", "agent_id"], ARCHIVED),
}


def upgrade() -> None:
    key = sa.text(LAST_MESSAGE_KEY[op.get_bind().dialect.name])
    for name, (leading, where) in INDEXES.items():
        op.create_index(
            name,
            "conversations",
            [*leading, key, "id"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, "conversations")
