"""digest channels: schema for issue 21 — the digest through Apprise

``recipient.digest_to`` (``[[recipient]] digest_to``: where the digest goes; null is e-mail
alone) and ``digestdelivery.channel``: a digest is claimed once per (recipient, day, channel),
"email" for the e-mail (every row so far) or an Apprise channel name.

Revision ID: 0023_digest_channels
Revises: 0022_notify
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_digest_channels"
down_revision = "0022_notify"
branch_labels = None
depends_on = None

# The (recipient_id, day) constraint of 0001 has no name of its own on SQLite; batch mode names
# it by this convention so that it can be dropped (alembic's documented recipe).
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("digest_to", sa.JSON(), nullable=True))
    old = _old_unique()
    with op.batch_alter_table("digestdelivery", naming_convention=CONVENTION) as batch:
        batch.add_column(sa.Column("channel", sa.String(160), nullable=False, server_default="email"))
        batch.drop_constraint(old, type_="unique")
        batch.create_unique_constraint("uq_digestdelivery_channel", ["recipient_id", "day", "channel"])


def downgrade() -> None:
    op.execute("DELETE FROM digestdelivery WHERE channel <> 'email'")
    with op.batch_alter_table("digestdelivery", naming_convention=CONVENTION) as batch:
        batch.drop_constraint("uq_digestdelivery_channel", type_="unique")
        batch.create_unique_constraint("uq_digestdelivery_recipient_id", ["recipient_id", "day"])
        batch.drop_column("channel")
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("digest_to")


def _old_unique() -> str:
    """The name the database gave 0001's (recipient_id, day) constraint (PostgreSQL:
    digestdelivery_recipient_id_day_key), or the convention's on SQLite."""
    for unique in sa.inspect(op.get_bind()).get_unique_constraints("digestdelivery"):
        if unique["column_names"] == ["recipient_id", "day"] and unique.get("name"):
            return unique["name"]
    return "uq_digestdelivery_recipient_id"
