"""Per-key rate limits (server_impl/domain/rate_limits.py): a key's own rate and burst on
api_keys (both NULL: the server's default), and each key's allowance, one number (its GCRA
``tat``, seconds since the epoch) kept here, so that every process and replica serving the
database shares it and a restart finds it as it was left.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("rate_per_s", sa.Float))
    op.add_column("api_keys", sa.Column("burst", sa.Integer))
    op.create_table(
        "key_allowances",
        sa.Column("key_id", sa.Text, sa.ForeignKey("api_keys.id"), primary_key=True),
        sa.Column("tat", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_allowances")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("burst")
        batch.drop_column("rate_per_s")
