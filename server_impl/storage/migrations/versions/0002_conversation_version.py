"""A version per conversation, bumped by every change: the source of its ETag.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("version", sa.BigInteger, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.drop_column("version")
