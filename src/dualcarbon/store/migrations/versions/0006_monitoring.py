"""Online monitoring: the meter register, readings (PostgreSQL store, partitioned by month), conflicts.

On PostgreSQL ``meter_reading`` is range-partitioned on ``ts``; its monthly partitions
(``meter_reading_pYYYYMM``) are created by the readings store when a batch first reaches a month. On
SQLite the readings live in a Parquet dataset and the table stays empty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ck(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    target_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{target_table}"))


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("production_unit_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("multiplier", sa.Double(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("counter_max", sa.Double(), nullable=True),
        sa.Column("max_rate", sa.Double(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("data_item_code", sa.String(64), nullable=True),
        sa.Column("process_stage", sa.String(20), nullable=True),
        sa.Column("statistic_type", sa.String(16), nullable=False),
        sa.Column("input_type", sa.String(16), nullable=False),
        sa.Column("calibrated_until", sa.Date(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter")),
        _fk("meter", "enterprise_id", "enterprise.id"),
        _fk("meter", "site_id", "site.id"),
        _fk("meter", "production_unit_id", "production_unit.id"),
        _fk("meter", "parent_id", "meter.id"),
        sa.UniqueConstraint("enterprise_id", "code", name=op.f("uq_meter_enterprise_id_code")),
        _ck("meter", "kind_known", "kind IN ('cumulative', 'interval', 'instant')"),
        _ck("meter", "multiplier_positive", "multiplier > 0"),
        _ck("meter", "interval_divides_day", "interval_minutes > 0 AND 1440 % interval_minutes = 0"),
        _ck("meter", "counter_max_positive", "counter_max IS NULL OR counter_max > 0"),
        _ck("meter", "max_rate_positive", "max_rate IS NULL OR max_rate > 0"),
        _ck(
            "meter",
            "process_stage_known",
            "process_stage IS NULL OR process_stage IN ('purchase_storage', 'conversion', 'distribution', 'end_use')",
        ),
        _ck("meter", "statistic_type_known", "statistic_type IN ('realtime', 'day', 'month')"),
        _ck("meter", "input_type_known", "input_type IN ('automatic', 'manual')"),
        _ck("meter", "not_own_parent", "parent_id IS NULL OR parent_id <> id"),
    )
    for column in ("enterprise_id", "site_id", "production_unit_id", "parent_id"):
        op.create_index(op.f(f"ix_meter_{column}"), "meter", [column])

    op.create_table(
        "meter_reading",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        _ts("ts"),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "ts", name=op.f("pk_meter_reading")),
        _fk("meter_reading", "meter_id", "meter.id"),
        postgresql_partition_by="RANGE (ts)",
    )

    op.create_table(
        "reading_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        _ts("ts"),
        sa.Column("stored_value", sa.Double(), nullable=False),
        sa.Column("offered_value", sa.Double(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        _ts("received_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_conflict")),
        _fk("reading_conflict", "meter_id", "meter.id"),
        _ck("reading_conflict", "source_known", "source IN ('http', 'file', 'mqtt')"),
    )
    op.create_index(op.f("ix_reading_conflict_meter_id"), "reading_conflict", ["meter_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reading_conflict_meter_id"), table_name="reading_conflict")
    op.drop_table("reading_conflict")
    op.drop_table("meter_reading")  # on PostgreSQL its monthly partitions go with it
    for column in ("parent_id", "production_unit_id", "site_id", "enterprise_id"):
        op.drop_index(op.f(f"ix_meter_{column}"), table_name="meter")
    op.drop_table("meter")
