"""Equipment register, obsolete list, technology catalogue, waste heat: ``equipment_item`` (设备台账),
``obsolete_rule`` (淘汰目录 entries), ``technology`` (节能技术推荐目录) and ``waste_heat_point`` (余热源/用热需求).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EQUIPMENT_TYPES_SQL = (
    "equipment_type IN ('motor', 'transformer', 'pump', 'fan', 'air_compressor', 'boiler', "
    "'industrial_furnace', 'other')"
)


def upgrade() -> None:
    op.create_table(
        "obsolete_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue", sa.String(length=200), nullable=False),
        sa.Column("entry_code", sa.String(length=64), nullable=False),
        sa.Column("equipment_type", sa.String(length=24), nullable=False),
        sa.Column("model_pattern", sa.String(length=200), nullable=True),
        sa.Column("made_before_year", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source_document", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            EQUIPMENT_TYPES_SQL,
            name=op.f("ck_obsolete_rule_type_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obsolete_rule")),
        sa.UniqueConstraint("catalogue", "entry_code", name=op.f("uq_obsolete_rule_catalogue_entry_code")),
    )
    op.create_table(
        "technology",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("saving_rate_pct", sa.Double(), nullable=True),
        sa.Column("payback_years", sa.Double(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("typical_cases", sa.Text(), nullable=True),
        sa.Column("source_batch", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technology")),
        sa.UniqueConstraint("code", name=op.f("uq_technology_code")),
    )
    op.create_index(op.f("ix_technology_field"), "technology", ["field"], unique=False)
    op.create_table(
        "waste_heat_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("temperature_c", sa.Double(), nullable=False),
        sa.Column("medium", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("quantity_unit", sa.String(length=8), nullable=False),
        sa.Column("start_hour", sa.Double(), nullable=False),
        sa.Column("end_hour", sa.Double(), nullable=False),
        sa.Column("hours_per_year", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("kind IN ('source', 'sink')", name=op.f("ck_waste_heat_point_kind_known")),
        sa.CheckConstraint("quantity_unit IN ('GJ/h', 't/h')", name=op.f("ck_waste_heat_point_unit_known")),
        sa.CheckConstraint(
            "start_hour >= 0 AND end_hour <= 24 AND start_hour < end_hour",
            name=op.f("ck_waste_heat_point_window_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_waste_heat_point_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waste_heat_point")),
        sa.UniqueConstraint("enterprise_id", "kind", "name", name=op.f("uq_waste_heat_point_enterprise_id_kind_name")),
    )
    op.create_index(op.f("ix_waste_heat_point_enterprise_id"), "waste_heat_point", ["enterprise_id"], unique=False)
    op.create_table(
        "equipment_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("asset_code", sa.String(length=64), nullable=False),
        sa.Column("equipment_type", sa.String(length=24), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=True),
        sa.Column("rated_power_kw", sa.Double(), nullable=True),
        sa.Column("efficiency_pct", sa.Double(), nullable=True),
        sa.Column("poles", sa.Integer(), nullable=True),
        sa.Column("speed_rpm", sa.Integer(), nullable=True),
        sa.Column("year_made", sa.Integer(), nullable=True),
        sa.Column("declared_grade", sa.String(length=16), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("operating_hours", sa.Double(), nullable=True),
        sa.Column("load_factor", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            EQUIPMENT_TYPES_SQL,
            name=op.f("ck_equipment_item_type_known"),
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_equipment_item_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_equipment_item_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_equipment_item_site_id_site")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["production_unit.id"], name=op.f("fk_equipment_item_unit_id_production_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_item")),
        sa.UniqueConstraint("enterprise_id", "asset_code", name=op.f("uq_equipment_item_enterprise_id_asset_code")),
    )
    op.create_index(op.f("ix_equipment_item_enterprise_id"), "equipment_item", ["enterprise_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_equipment_item_enterprise_id"), table_name="equipment_item")
    op.drop_table("equipment_item")
    op.drop_index(op.f("ix_waste_heat_point_enterprise_id"), table_name="waste_heat_point")
    op.drop_table("waste_heat_point")
    op.drop_index(op.f("ix_technology_field"), table_name="technology")
    op.drop_table("technology")
    op.drop_table("obsolete_rule")
