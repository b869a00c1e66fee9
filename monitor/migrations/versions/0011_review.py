"""review: schema for issue 14

Revision ID: 0011_review
Revises: 0010_hardening
"""

import sqlalchemy as sa
from alembic import op  # noqa: F401

revision = "0011_review"
down_revision = "0010_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _upgrade_reviewer_page()
    _upgrade_mention_time()


def downgrade() -> None:
    _downgrade_mention_time()
    _downgrade_reviewer_page()


# --- issue 14 part 1 (the queue page): reader's timezone, private feed tokens, the web's
# pause of a person, and the kind detected for a source of kind "auto".


def _upgrade_reviewer_page() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("detected_kind", sa.String(32), nullable=True))
    op.create_table(
        "feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_token_user_id", "feed_token", ["user_id"])


def _downgrade_reviewer_page() -> None:
    op.drop_index("ix_feed_token_user_id", table_name="feed_token")
    op.drop_table("feed_token")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("detected_kind")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("paused_at")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("timezone")


# --- issue 14 part 2 (time, demo): the queue pages by the mention's time (published, else
# first seen: the expression of ix_mention_at) instead of fetched_at, so its three keyset
# indexes move to that expression; demo sources are marked so that the CLI may poll them
# on loopback. Expression indexes are created with plain SQL-compatible text on both
# databases; no batch rebuild of ``mention`` here (SQLite would drop expression indexes).

MENTION_AT = "coalesce(published_at, fetched_at)"
# (old index, new index, columns of the new one); the old ones are those of 0004 and 0006.
TIME_INDEXES = (
    (
        "ix_mention_queue",
        "ix_mention_queue_at",
        ["review_state", MENTION_AT, "id"],
        ["review_state", "fetched_at", "id"],
    ),
    ("ix_mention_label_queue", "ix_mention_label_queue_at", ["label", MENTION_AT, "id"], ["label", "fetched_at", "id"]),
    (
        "ix_mention_language_queue",
        "ix_mention_language_queue_at",
        ["language", "review_state", MENTION_AT, "id"],
        ["language", "review_state", "fetched_at", "id"],
    ),
)


def _columns(names: list[str]) -> list:
    return [sa.text(n) if n == MENTION_AT else n for n in names]


def _upgrade_mention_time() -> None:
    for old, new, columns, _ in TIME_INDEXES:
        op.drop_index(old, table_name="mention", if_exists=True)
        op.create_index(new, "mention", _columns(columns))
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))


def _downgrade_mention_time() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("demo")
    for old, new, _, columns in TIME_INDEXES:
        op.drop_index(new, table_name="mention")
        op.create_index(old, "mention", columns)
