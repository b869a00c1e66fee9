"""spikes: schema for issue 19 — a person's alert sensitivity and mute date

Revision ID: 0012_spikes
Revises: 0011_review

``person.alert`` is "quiet", "normal" or "eager" (how big a burst must be to open a spike);
``person.mute_until`` is the last day (UTC) on which the person's spikes send no alert;
``person.alert_from_config`` says the config file sets both, so the web shows them read-only.
``spike.usual_per_day`` is the count the detector expected in a day, for "usually about 2 a day".
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_spikes"
down_revision = "0011_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("alert", sa.String(16), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("mute_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("alert_from_config", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("spike") as batch:
        batch.add_column(sa.Column("usual_per_day", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spike") as batch:
        batch.drop_column("usual_per_day")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("alert_from_config")
        batch.drop_column("mute_until")
        batch.drop_column("alert")
