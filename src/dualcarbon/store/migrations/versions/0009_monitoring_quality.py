"""Monitoring: data quality per meter and day, per enterprise and day; manual entry as a reading source.

* ``meter_quality_day`` — completeness, timeliness, validity counts and problems of one meter on one day;
* ``enterprise_quality_day`` — the quality index and its sub-indices per enterprise and day (indexed by day
  and index, so a regulator's table of enterprises sorted worst first is one query);
* ``reading_conflict.source`` also accepts ``manual`` (the web form of manual entry).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("expected", "received", "value_count", "timely", "flagged")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    target_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{target_table}"))


def _source_check(sources: tuple[str, ...]) -> None:
    quoted = ", ".join(f"'{s}'" for s in sources)
    with op.batch_alter_table("reading_conflict") as batch:
        batch.drop_constraint(op.f("ck_reading_conflict_source_known"), type_="check")
        batch.create_check_constraint(op.f("ck_reading_conflict_source_known"), f"source IN ({quoted})")


def upgrade() -> None:
    op.create_table(
        "meter_quality_day",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.Column("calibrated", sa.Boolean(), nullable=False),
        sa.Column("completeness", sa.Double(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "day", name=op.f("pk_meter_quality_day")),
        _fk("meter_quality_day", "meter_id", "meter.id"),
        _fk("meter_quality_day", "enterprise_id", "enterprise.id"),
    )
    op.create_index(op.f("ix_meter_quality_day_enterprise_id"), "meter_quality_day", ["enterprise_id"])
    op.create_table(
        "enterprise_quality_day",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("meters", sa.Integer(), nullable=False),
        sa.Column("calibrated_meters", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(
            sa.Column(name, sa.Double(), nullable=True)
            for name in ("completeness", "accuracy", "timeliness", "validity", "quality_index")
        ),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "day", name=op.f("pk_enterprise_quality_day")),
        _fk("enterprise_quality_day", "enterprise_id", "enterprise.id"),
    )
    op.create_index("ix_enterprise_quality_day_day_index", "enterprise_quality_day", ["day", "quality_index"])
    _source_check(("http", "file", "mqtt", "manual"))


def downgrade() -> None:
    op.execute("DELETE FROM reading_conflict WHERE source = 'manual'")
    _source_check(("http", "file", "mqtt"))
    op.drop_index("ix_enterprise_quality_day_day_index", table_name="enterprise_quality_day")
    op.drop_table("enterprise_quality_day")
    op.drop_index(op.f("ix_meter_quality_day_enterprise_id"), table_name="meter_quality_day")
    op.drop_table("meter_quality_day")
