"""Conversations, organizations, users and API keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("organization_id", sa.Text, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("organization_id", "name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
    )
    op.create_table(
        "conversations",
        # Creation order, for keyset pagination: ids are random.
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            sa.Identity(),
            primary_key=True,
        ),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("organization_id", sa.Text, nullable=False),
        sa.Column("agent_id", sa.Text, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("summary", sa.Text),
        sa.Column("in_context_message_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("isolated_block_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by_id", sa.Text, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_updated_by_id", sa.Text, nullable=False),
        sa.Column("deleted_at", TIMESTAMP),
        sqlite_autoincrement=True,
    )
    live_default = sa.text("is_default AND deleted_at IS NULL")
    op.create_index(
        "conversations_one_default",
        "conversations",
        ["organization_id", "agent_id"],
        unique=True,
        sqlite_where=live_default,
        postgresql_where=live_default,
    )
    op.create_index("conversations_by_organization", "conversations", ["organization_id", "seq"])
    op.create_index(
        "conversations_by_agent", "conversations", ["organization_id", "agent_id", "seq"]
    )


def downgrade() -> None:
    op.drop_table("conversations")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("organizations")
