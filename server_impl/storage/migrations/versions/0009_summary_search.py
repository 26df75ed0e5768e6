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
_ADD = "INSERT INTO conversation_summaries (rowid, summary) VALUES ({row}.seq, {row}.summary)"
# A contentless table forgets a row only when told the text it indexed.
_FORGET = (
    "INSERT INTO conversation_summaries (conversation_summaries, rowid, summary)"
    " VALUES ('delete', {row}.seq, {row}.summary)"
)
_OLD, _NEW = _INDEXED.format(row="old"), _INDEXED.format(row="new")
_CHANGED = "old.summary IS NOT new.summary"
SQLITE_TRIGGERS = {
    "conversation_summaries_insert": (
        f"AFTER INSERT ON conversations WHEN {_NEW} BEGIN {_ADD.format(row='new')}; END"
    ),
    # Only a changed summary or deletion touches the index: most updates set neither.
    "conversation_summaries_forget": (
        "AFTER UPDATE OF summary, deleted_at ON conversations"
        f" WHEN {_OLD} AND (NOT ({_NEW}) OR {_CHANGED}) BEGIN {_FORGET.format(row='old')}; END"
    ),
    "conversation_summaries_add": (
        "AFTER UPDATE OF summary, deleted_at ON conversations"
        f" WHEN {_NEW} AND (NOT ({_OLD}) OR {_CHANGED}) BEGIN {_ADD.format(row='new')}; END"
    ),
    "conversation_summaries_delete": (
        f"AFTER DELETE ON conversations WHEN {_OLD} BEGIN {_FORGET.format(row='old')}; END"
    ),
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
