"""notify: schema for issue 21 — alert channels, full-text search

Full-text search: on PostgreSQL a stored generated column ``mention.search_document``, title
and text as a tsvector in the Russian, English and simple configurations, with a GIN index
(the column is PostgreSQL's alone, so no model names it); on SQLite an FTS5 table ``mention_fts`` over the same columns, filled from the
existing mentions and kept in step by triggers. Alert channels: ``notifychannel`` (Apprise
URLs an admin entered, encrypted), ``recipient.notify`` (the config's ``env:NAME`` references)
(``person.private`` arrived with 0016_search).

Revision ID: 0022_notify
Revises: 0021_language
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_notify"
down_revision = "0021_language"
branch_labels = None
depends_on = None

CONFIGS = ("russian", "english", "simple")
DOCUMENT = " || ".join(f"to_tsvector('{c}'::regconfig, title || ' ' || text)" for c in CONFIGS)
SQLITE_TRIGGERS = {
    "mention_fts_insert": "AFTER INSERT ON mention BEGIN "
    "INSERT INTO mention_fts (rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "mention_fts_delete": "AFTER DELETE ON mention BEGIN "
    "INSERT INTO mention_fts (mention_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "mention_fts_update": "AFTER UPDATE OF title, text ON mention BEGIN "
    "INSERT INTO mention_fts (mention_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO mention_fts (rowid, title, text) VALUES (new.id, new.title, new.text); END",
}


def upgrade() -> None:
    _search_up()
    op.create_table(
        "notifychannel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("url_sealed", sa.Text(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False, server_default=""),
        sa.Column("people", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # person.private came with 0016_search (issue 16 needs it too).
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("notify", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("notify")
    op.drop_table("notifychannel")
    _search_down()


def _search_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A stored column, not an expression index: the queue walks mentions newest first and
        # tests each against the search, which must cost a comparison, not three to_tsvector calls.
        op.execute(f"ALTER TABLE mention ADD COLUMN search_document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED")
        # Finer statistics: a rare name must be estimated rare, or the planner walks the queue's
        # time index testing every row (bench/bench_fulltext.py: 360 ms instead of a few).
        op.execute("ALTER TABLE mention ALTER COLUMN search_document SET STATISTICS 1000")
        op.execute(_gin_index())
        return
    # External content: the text lives once, in mention; remove_diacritics 0 so that only case
    # is folded (δίκη is not δικη), as the search did before.
    op.execute(
        "CREATE VIRTUAL TABLE mention_fts USING fts5(title, text, content='mention', content_rowid='id', "
        'tokenize="unicode61 remove_diacritics 0")'
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO mention_fts (mention_fts) VALUES ('rebuild')")


def _gin_index() -> str:
    """The GIN index, with the review state beside the document when btree_gin can be had: the
    queue always filters by state, and one index serving both spares a bitmap of 600,000 rows
    ANDed with a few hundred. Without the extension (no privilege to create it), the document alone."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gin")
        columns = "search_document, review_state"
    except sa.exc.DBAPIError:
        columns = "search_document"
    return f"CREATE INDEX ix_mention_fulltext ON mention USING gin ({columns})"


def _search_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_mention_fulltext")
        op.execute("ALTER TABLE mention DROP COLUMN IF EXISTS search_document")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS mention_fts")
