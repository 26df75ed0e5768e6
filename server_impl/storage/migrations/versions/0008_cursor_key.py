"""The secret that signs list cursors (server_impl/domain/cursors.py): 32 random bytes, made
once per database here, so that every process and replica serving it signs and checks cursors
with the same key. A cursor made before a downgrade and upgrade is refused (422), as one from
elsewhere is.

Revision ID: 0008
Revises: 0007
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "server_secrets",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(table, [{"name": "list_cursor_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("server_secrets")
