"""Organizations and users are matched by a key of their name (keys.parse_name: trimmed,
case-folded), unique among organizations and among an organization's users.

Rows stored before names were checked keep their ids and names as written, and every key keeps
working as the same user of the same organization. A row gets the key of its name if that name
is valid today and no older row (by created_at, then id; among an organization's users for a
user) has the same key. Otherwise its key stays NULL, which no name matches: `keys create` with
that name reaches the older row, or is refused for a name no longer valid. Rows are never
merged: that would hand one organization's conversations to another.

0001's unique constraints on the names themselves stay: no new row can break them, since a new
name equal to a stored one has its key, which that row or an older one holds.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

# The key must be the one the server computes: a change to it needs a migration of its own.
from server_impl.domain.keys import InvalidName, parse_name

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fill_keys(table: sa.TableClause, *scope: sa.ColumnClause[object]) -> None:
    """Sets the key of each row whose name is valid and whose key no older row of its scope has."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(*scope, table.c.id, table.c.name).order_by(table.c.created_at, table.c.id)
    )
    taken: set[tuple[object, ...]] = set()
    for *in_scope, row_id, name in rows.all():
        try:
            scoped_key = (*in_scope, parse_name(name).key)
        except InvalidName:
            continue
        if scoped_key not in taken:
            taken.add(scoped_key)
            connection.execute(
                table.update().where(table.c.id == row_id).values(name_key=scoped_key[-1])
            )


def upgrade() -> None:
    for table in ("organizations", "users"):
        op.add_column(table, sa.Column("name_key", sa.Text))
    columns = ("id", "name", "created_at", "name_key")
    _fill_keys(sa.table("organizations", *map(sa.column, columns)))
    users = sa.table("users", *map(sa.column, (*columns, "organization_id")))
    _fill_keys(users, users.c.organization_id)
    op.create_index("organizations_by_name_key", "organizations", ["name_key"], unique=True)
    op.create_index("users_by_name_key", "users", ["organization_id", "name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("users_by_name_key", "users")
    op.drop_index("organizations_by_name_key", "organizations")
    for table in ("users", "organizations"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("name_key")
