"""Idempotency keys of create: per organization, the request each key was first used for (its
fingerprint), which request holds it while it runs (token, lease_until), and once it succeeded
its answer (the conversation as created, and its version). Rows expire at expires_at; the
index on it lets each write purge a bounded batch of expired rows, oldest first.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("organization_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("lease_until", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        # Both NULL while the request that holds the key runs.
        sa.Column("answer", sa.Text),
        sa.Column("answer_version", sa.BigInteger),
    )
    op.create_index("idempotency_keys_by_expiry", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("idempotency_keys_by_expiry", "idempotency_keys")
    op.drop_table("idempotency_keys")
