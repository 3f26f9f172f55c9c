"""Monitoring: stored rollups, their dirty set (PostgreSQL trigger), virtual meters (formula).

* ``monitoring_rollup`` — stored hour/day/month rollups per meter (used by the PostgreSQL store; with
  SQLite the rollups are Parquet files and the table stays empty).
* ``monitoring_rollup_dirty`` — (meter, Asia/Shanghai day) with readings not rolled up yet (the first and last
  of them). On PostgreSQL a statement-level trigger on ``meter_reading`` fills it inside the ingest transaction.
* ``meter.formula`` and the kind ``virtual``: a meter whose values are a formula over other meters.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_OLD = "kind IN ('cumulative', 'interval', 'instant')"
_KINDS_NEW = "kind IN ('cumulative', 'interval', 'instant', 'virtual')"
_FORMULA = "(kind = 'virtual') = (formula IS NOT NULL)"

_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION monitoring_rollup_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monitoring_rollup_dirty AS d (meter_id, day, first_ts, last_ts)
  SELECT meter_id, CAST(ts AT TIME ZONE 'Asia/Shanghai' AS date), min(ts), max(ts) FROM new_rows GROUP BY 1, 2
  ON CONFLICT (meter_id, day) DO UPDATE
  SET first_ts = least(d.first_ts, excluded.first_ts), last_ts = greatest(d.last_ts, excluded.last_ts);
  RETURN NULL;
END
$$
"""
_TRIGGER = (
    "CREATE TRIGGER meter_reading_rollup_dirty AFTER INSERT ON meter_reading "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION monitoring_rollup_mark_dirty()"
)


def upgrade() -> None:
    op.create_table(
        "monitoring_rollup",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy", sa.Double(), nullable=True),
        sa.Column("tce", sa.Double(), nullable=True),
        sa.Column("tce_equal", sa.Double(), nullable=True),
        sa.Column("tco2", sa.Double(), nullable=True),
        sa.Column("completeness", sa.Double(), nullable=False),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("sig", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "interval", "start", name=op.f("pk_monitoring_rollup")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_monitoring_rollup_meter_id_meter")),
    )
    op.create_table(
        "monitoring_rollup_dirty",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "day", name=op.f("pk_monitoring_rollup_dirty")),
    )
    with op.batch_alter_table("meter") as batch:
        batch.add_column(sa.Column("formula", sa.String(400), nullable=True))
        batch.drop_constraint(op.f("ck_meter_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_meter_kind_known"), _KINDS_NEW)
        batch.create_check_constraint(op.f("ck_meter_formula_iff_virtual"), _FORMULA)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_TRIGGER_FUNCTION)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS meter_reading_rollup_dirty ON meter_reading")
        op.execute("DROP FUNCTION IF EXISTS monitoring_rollup_mark_dirty()")
    op.execute("DELETE FROM meter WHERE kind = 'virtual'")
    with op.batch_alter_table("meter") as batch:
        batch.drop_constraint(op.f("ck_meter_formula_iff_virtual"), type_="check")
        batch.drop_constraint(op.f("ck_meter_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_meter_kind_known"), _KINDS_OLD)
        batch.drop_column("formula")
    op.drop_table("monitoring_rollup_dirty")
    op.drop_table("monitoring_rollup")
