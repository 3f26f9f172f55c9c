"""Reading arrivals: when each meter's data for a day arrived, for the timeliness check of data quality.

* ``reading_arrival`` — (meter, Asia/Shanghai day) → first and last arrival (UTC) of the ingest batches that added
  values of that day, and how many values they added (src/dualcarbon/monitoring/models.py ``ReadingArrival``,
  written by monitoring/service_ingest.py). Both backends. Days ingested before this revision have no row: their
  timeliness is judged by the statistic time only.

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reading_arrival",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_reading_arrival_meter_id_meter")),
        sa.PrimaryKeyConstraint("meter_id", "day", name=op.f("pk_reading_arrival")),
    )


def downgrade() -> None:
    op.drop_table("reading_arrival")
