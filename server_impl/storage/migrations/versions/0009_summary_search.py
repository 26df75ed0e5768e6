"""summary_search from each engine's own text index, so that its cost follows the matches, not
the organization's size.

SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34 or later), its rowid the
conversation's seq, indexing the summaries of live conversations. It is contentless (it keeps
the index, not a second copy of the text) and kept current by triggers, which run inside the
statement, so in the transaction, that writes a summary, deletes a conversation or removes its
row. The list query (server_impl/storage/sqlite.py) takes candidates from it and
keeps LIKE as the final filter. A later migration that recreates `conversations` (Alembic's
batch mode) must recreate these triggers.

PostgreSQL: pg_trgm's GIN index on the summary, which the planner uses for summary ILIKE
'%...%' when its statistics say that is cheaper than walking a page's order. The extension is
left installed by the downgrade: other objects of the database may use it.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# What the FTS table holds: the summaries a list can find (deleted conversations never are).
_INDEXED = "{row}.summary IS NOT NULL AND {row}.deleted_at IS NULL"
_ADD = (
    "INSERT INTO conversation_summaries (rowid, summary)"
    " SELECT {row}.seq, {row}.summary WHERE {indexed}"
)
# A contentless table forgets a row only when told the text it indexed.
_FORGET = (
    "INSERT INTO conversation_summaries (conversation_summaries, rowid, summary)"
    " SELECT 'delete', {row}.seq, {row}.summary WHERE {indexed}"
)
_OLD, _NEW = _INDEXED.format(row="old"), _INDEXED.format(row="new")
_ADD_NEW = _ADD.format(row="new", indexed=_NEW)
_FORGET_OLD = _FORGET.format(row="old", indexed=_OLD)
SQLITE_TRIGGERS = {
    "conversation_summaries_insert": f"AFTER INSERT ON conversations BEGIN {_ADD_NEW}; END",
    # One trigger, forgetting before adding: the text forgotten and the text added share
    # trigrams, which forgetting after adding would take out of the index. Only a changed
    # summary or deletion touches the index: most updates set neither.
    "conversation_summaries_update": (
        "AFTER UPDATE OF summary, deleted_at ON conversations"
        " WHEN old.summary IS NOT new.summary OR old.deleted_at IS NOT new.deleted_at"
        f" BEGIN {_FORGET_OLD}; {_ADD_NEW}; END"
    ),
    "conversation_summaries_delete": f"AFTER DELETE ON conversations BEGIN {_FORGET_OLD}; END",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX conversations_summary_trigrams ON conversations"
            " USING gin (summary gin_trgm_ops)"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE conversation_summaries"
        " USING fts5(summary, content='', tokenize='trigram')"
    )
    op.execute(
        "INSERT INTO conversation_summaries (rowid, summary)"
        f" SELECT seq, summary FROM conversations WHERE {_INDEXED.format(row='conversations')}"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX conversations_summary_trigrams")
        return
    for name in reversed(SQLITE_TRIGGERS):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE conversation_summaries")
