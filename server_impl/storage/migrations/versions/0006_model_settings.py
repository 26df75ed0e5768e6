"""A conversation's model_settings: the JSON object the client sent, as JSON text.

Text, not JSON or JSONB, on both engines: the value is answered as it was sent, its keys in their
order (JSONB sorts them), and a string holding U+0000 kept (escaped as \\u0000 in the text;
PostgreSQL's JSONB refuses it). Rows stored before keep every value and have none (NULL).

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("model_settings", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.drop_column("model_settings")
