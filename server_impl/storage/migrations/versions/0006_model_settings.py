"""A conversation's model_settings: the JSON object the client sent, as JSON text.

Text, not JSON or JSONB, on both engines: the value is answered as it was sent, its keys in their
order (JSONB sorts them), and a string holding U+0000 kept (escaped as \\u0000 in the text;
PostgreSQL's JSONB refuses it). Rows stored before keep every value and have none (NULL).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both engines, not a batch: on SQLite a batch that drops a column copies
# the table, and the copy loses the expression indexes of 0005, which SQLAlchemy cannot reflect.
# SQLite has DROP COLUMN since 3.35, which the stores already need for RETURNING.


def upgrade() -> None:
    op.add_column("conversations", sa.Column("model_settings", sa.Text))


def downgrade() -> None:
    op.drop_column("conversations", "model_settings")
