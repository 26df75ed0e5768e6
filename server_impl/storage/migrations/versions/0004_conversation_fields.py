"""The fields of a conversation that the official SDK's newer releases send: description, model,
context_window_limit, last_message_at, archived_at (archived is archived_at IS NOT NULL) and
hidden. Rows stored before keep every value and get none of the new ones: NULL, not hidden.

Listing filters on archive status: unarchived conversations, the common case, are found through
the existing indexes; archived ones, usually few, through partial indexes of their own, so a
page of them does not walk every unarchived row.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
ARCHIVED = sa.text("archived_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("description", sa.Text))
        table.add_column(sa.Column("model", sa.Text))
        table.add_column(sa.Column("context_window_limit", sa.Integer))
        table.add_column(sa.Column("last_message_at", TIMESTAMP))
        table.add_column(sa.Column("archived_at", TIMESTAMP))
        table.add_column(sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index(
        "conversations_archived",
        "conversations",
        ["organization_id", "seq"],
        sqlite_where=ARCHIVED,
        postgresql_where=ARCHIVED,
    )
    op.create_index(
        "conversations_archived_by_agent",
        "conversations",
        ["organization_id", "agent_id", "seq"],
        sqlite_where=ARCHIVED,
        postgresql_where=ARCHIVED,
    )


def downgrade() -> None:
    op.drop_index("conversations_archived_by_agent", "conversations")
    op.drop_index("conversations_archived", "conversations")
    with op.batch_alter_table("conversations") as table:
        for column in (
            "hidden", "archived_at", "last_message_at", "context_window_limit", "model",
            "description",
        ):  # fmt: skip
            table.drop_column(column)
