"""spikes: per person and source kind, detector state, expected marks

Revision ID: 0007_spikes
Revises: 0006_admin

A spike belongs to a series: the person's whole volume (``source_kind`` "") or the volume
from one kind of source, so the unique key becomes (person, source kind, first bucket).
``spikestate`` keeps each series' online detector between runs. ``expected_by`` and
``expected_at`` record who marked a spike as expected, and when.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_spikes"
down_revision = "0006_admin"
branch_labels = None
depends_on = None

# SQLite reflects the old unnamed key without a name; this convention gives it one to drop.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s"}
SPIKE_COLUMNS = [
    sa.Column("source_kind", sa.String(length=32), nullable=False, server_default=""),
    sa.Column("bucket_seconds", sa.Integer(), nullable=False, server_default="3600"),
    sa.Column("expected_by", sa.Integer(), nullable=True),
    sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
]


def _old_key_name() -> str:
    return "spike_person_id_hour_key" if op.get_bind().dialect.name == "postgresql" else "uq_spike_person_id_hour"


def upgrade() -> None:
    with op.batch_alter_table("spike", naming_convention=NAMING) as batch:
        for column in SPIKE_COLUMNS:
            batch.add_column(column)
        batch.create_foreign_key("fk_spike_expected_by_user", "user", ["expected_by"], ["id"])
        batch.drop_constraint(_old_key_name(), type_="unique")
        batch.create_unique_constraint("uq_spike_series_hour", ["person_id", "source_kind", "hour"])
    op.create_table(
        "spikestate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=32), nullable=False, server_default=""),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("next_bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "source_kind", "bucket_seconds", name="uq_spikestate_series"),
    )
    op.create_index("ix_spikestate_person_id", "spikestate", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_spikestate_person_id", table_name="spikestate")
    op.drop_table("spikestate")
    op.execute("DELETE FROM spikealert WHERE spike_id IN (SELECT id FROM spike WHERE source_kind <> '')")
    op.execute("DELETE FROM spike WHERE source_kind <> ''")
    with op.batch_alter_table("spike") as batch:
        batch.drop_constraint("uq_spike_series_hour", type_="unique")
        batch.create_unique_constraint(_old_key_name(), ["person_id", "hour"])
        batch.drop_constraint("fk_spike_expected_by_user", type_="foreignkey")
        for column in reversed(SPIKE_COLUMNS):
            batch.drop_column(column.name)
