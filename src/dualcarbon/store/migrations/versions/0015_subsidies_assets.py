"""Subsidy applications with budget pools, evidence claims and payments; electricity surcharge tables; the PV,
storage and data-centre registers, reported months and green designations.

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_reported_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_kind", sa.String(length=16), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kwh", sa.Double(), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "asset_kind IN ('pv', 'storage', 'datacentre')", name=op.f("ck_asset_reported_month_asset_kind_known")
        ),
        sa.CheckConstraint(
            "quantity IN ('generation', 'discharge', 'total', 'it')",
            name=op.f("ck_asset_reported_month_quantity_known"),
        ),
        sa.CheckConstraint("kwh >= 0", name=op.f("ck_asset_reported_month_kwh_not_negative")),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_asset_reported_month_month_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_reported_month")),
        sa.UniqueConstraint(
            "asset_kind",
            "asset_id",
            "quantity",
            "year",
            "month",
            name=op.f("uq_asset_reported_month_asset_kind_asset_id_quantity_year_month"),
        ),
    )
    op.create_index(op.f("ix_asset_reported_month_asset_id"), "asset_reported_month", ["asset_id"], unique=False)
    op.create_table(
        "electricity_surcharge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.String(length=80), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=100), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("min_value", sa.Double(), nullable=True),
        sa.Column("min_inclusive", sa.Boolean(), nullable=True),
        sa.Column("max_value", sa.Double(), nullable=True),
        sa.Column("max_inclusive", sa.Boolean(), nullable=True),
        sa.Column("consumption_unit", sa.String(length=64), nullable=True),
        sa.Column("surcharge_yuan_per_kwh", sa.Double(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("basis IN ('tier', 'unit_consumption')", name=op.f("ck_electricity_surcharge_basis_known")),
        sa.CheckConstraint("surcharge_yuan_per_kwh >= 0", name=op.f("ck_electricity_surcharge_surcharge_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_electricity_surcharge")),
        sa.UniqueConstraint("table_id", "row_number", name=op.f("uq_electricity_surcharge_table_id_row_number")),
    )
    op.create_index(op.f("ix_electricity_surcharge_table_id"), "electricity_surcharge", ["table_id"], unique=False)
    op.create_table(
        "budget_pool",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=80), nullable=False),
        sa.Column("rule_key", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("total_yuan", sa.Double(), nullable=False),
        sa.Column("committed_yuan", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "committed_yuan >= 0 AND committed_yuan <= total_yuan", name=op.f("ck_budget_pool_within_total")
        ),
        sa.CheckConstraint("total_yuan > 0", name=op.f("ck_budget_pool_total_positive")),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_budget_pool_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_pool")),
        sa.UniqueConstraint(
            "pack_id", "rule_key", "year", "region_code", name=op.f("uq_budget_pool_pack_id_rule_key_year_region_code")
        ),
    )
    op.create_index(op.f("ix_budget_pool_region_code"), "budget_pool", ["region_code"], unique=False)
    op.create_table(
        "green_designation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reassessment_due", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('green_factory', 'green_supply_chain', 'green_product', 'green_park')",
            name=op.f("ck_green_designation_kind_known"),
        ),
        sa.CheckConstraint(
            "level IN ('national', 'provincial', 'city')", name=op.f("ck_green_designation_level_known")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_green_designation_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_green_designation_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_green_designation")),
        sa.UniqueConstraint(
            "kind",
            "level",
            "year",
            "name",
            "region_code",
            name=op.f("uq_green_designation_kind_level_year_name_region_code"),
        ),
    )
    op.create_index(op.f("ix_green_designation_enterprise_id"), "green_designation", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_green_designation_region_code"), "green_designation", ["region_code"], unique=False)
    op.create_index(op.f("ix_green_designation_year"), "green_designation", ["year"], unique=False)
    op.create_table(
        "subsidy_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("pack_id", sa.String(length=80), nullable=False),
        sa.Column("rule_key", sa.String(length=120), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("evidence_kind", sa.String(length=24), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("fact_sources", sa.JSON(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("amount_yuan", sa.Double(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "evidence_kind IN ('project', 'pv_generation', 'storage_discharge', 'diagnosis_reports', 'designation')",
            name=op.f("ck_subsidy_application_evidence_kind_known"),
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'in_review', 'approved', 'rejected', 'paid')",
            name=op.f("ck_subsidy_application_state_known"),
        ),
        sa.CheckConstraint(
            "(enterprise_id IS NULL) <> (agency_id IS NULL)", name=op.f("ck_subsidy_application_one_applicant")
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_subsidy_application_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_subsidy_application_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["budget_pool.id"], name=op.f("fk_subsidy_application_pool_id_budget_pool")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name=op.f("fk_subsidy_application_region_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_application")),
    )
    op.create_index(op.f("ix_subsidy_application_agency_id"), "subsidy_application", ["agency_id"], unique=False)
    op.create_index(
        op.f("ix_subsidy_application_enterprise_id"), "subsidy_application", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_subsidy_application_pool_id"), "subsidy_application", ["pool_id"], unique=False)
    op.create_index(op.f("ix_subsidy_application_region_code"), "subsidy_application", ["region_code"], unique=False)
    op.create_index(op.f("ix_subsidy_application_year"), "subsidy_application", ["year"], unique=False)
    op.create_table(
        "subsidy_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["subsidy_application.id"],
            name=op.f("fk_subsidy_claim_application_id_subsidy_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_claim")),
        sa.UniqueConstraint("claim_key", name=op.f("uq_subsidy_claim_claim_key")),
    )
    op.create_index(op.f("ix_subsidy_claim_application_id"), "subsidy_claim", ["application_id"], unique=False)
    op.create_table(
        "subsidy_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.Double(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("voucher", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["subsidy_application.id"],
            name=op.f("fk_subsidy_payment_application_id_subsidy_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_payment")),
        sa.UniqueConstraint("application_id", name=op.f("uq_subsidy_payment_application_id")),
    )
    op.create_table(
        "datacentre",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("racks", sa.Integer(), nullable=True),
        sa.Column("in_operation_since", sa.Date(), nullable=True),
        sa.Column("new_build", sa.Boolean(), nullable=True),
        sa.Column("size", sa.String(length=16), nullable=True),
        sa.Column("total_meter_id", sa.Integer(), nullable=True),
        sa.Column("it_meter_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "size IS NULL OR size IN ('small', 'medium', 'large', 'super_large')", name=op.f("ck_datacentre_size_known")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_datacentre_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["it_meter_id"], ["meter.id"], name=op.f("fk_datacentre_it_meter_id_meter")),
        sa.ForeignKeyConstraint(["total_meter_id"], ["meter.id"], name=op.f("fk_datacentre_total_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datacentre")),
    )
    op.create_index(op.f("ix_datacentre_enterprise_id"), "datacentre", ["enterprise_id"], unique=False)
    op.create_table(
        "pv_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pack_id", sa.String(length=80), nullable=False),
        sa.Column("roof_type", sa.String(length=16), nullable=False),
        sa.Column("roof_category", sa.String(length=16), nullable=False),
        sa.Column("module_height_m", sa.Double(), nullable=False),
        sa.Column("usable_roof_m2", sa.Double(), nullable=True),
        sa.Column("covered_roof_m2", sa.Double(), nullable=True),
        sa.Column("capacity_kwp", sa.Double(), nullable=False),
        sa.Column("connection_mode", sa.String(length=40), nullable=False),
        sa.Column("grid_connected_on", sa.Date(), nullable=True),
        sa.Column("connected_to_platform", sa.Boolean(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "roof_category IN ('existing', 'new_factory')", name=op.f("ck_pv_asset_roof_category_known")
        ),
        sa.CheckConstraint("roof_type IN ('sloped', 'flat')", name=op.f("ck_pv_asset_roof_type_known")),
        sa.CheckConstraint("capacity_kwp > 0", name=op.f("ck_pv_asset_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_pv_asset_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_pv_asset_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pv_asset")),
    )
    op.create_index(op.f("ix_pv_asset_enterprise_id"), "pv_asset", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_pv_asset_meter_id"), "pv_asset", ["meter_id"], unique=False)
    op.create_table(
        "storage_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity_kwh", sa.Double(), nullable=False),
        sa.Column("power_kw", sa.Double(), nullable=False),
        sa.Column("commissioned_on", sa.Date(), nullable=True),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_storage_asset_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_storage_asset_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_asset")),
    )
    op.create_index(op.f("ix_storage_asset_enterprise_id"), "storage_asset", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_storage_asset_meter_id"), "storage_asset", ["meter_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_storage_asset_meter_id"), table_name="storage_asset")
    op.drop_index(op.f("ix_storage_asset_enterprise_id"), table_name="storage_asset")
    op.drop_table("storage_asset")
    op.drop_index(op.f("ix_pv_asset_meter_id"), table_name="pv_asset")
    op.drop_index(op.f("ix_pv_asset_enterprise_id"), table_name="pv_asset")
    op.drop_table("pv_asset")
    op.drop_index(op.f("ix_datacentre_enterprise_id"), table_name="datacentre")
    op.drop_table("datacentre")
    op.drop_table("subsidy_payment")
    op.drop_index(op.f("ix_subsidy_claim_application_id"), table_name="subsidy_claim")
    op.drop_table("subsidy_claim")
    op.drop_index(op.f("ix_subsidy_application_year"), table_name="subsidy_application")
    op.drop_index(op.f("ix_subsidy_application_region_code"), table_name="subsidy_application")
    op.drop_index(op.f("ix_subsidy_application_pool_id"), table_name="subsidy_application")
    op.drop_index(op.f("ix_subsidy_application_enterprise_id"), table_name="subsidy_application")
    op.drop_index(op.f("ix_subsidy_application_agency_id"), table_name="subsidy_application")
    op.drop_table("subsidy_application")
    op.drop_index(op.f("ix_green_designation_year"), table_name="green_designation")
    op.drop_index(op.f("ix_green_designation_region_code"), table_name="green_designation")
    op.drop_index(op.f("ix_green_designation_enterprise_id"), table_name="green_designation")
    op.drop_table("green_designation")
    op.drop_index(op.f("ix_budget_pool_region_code"), table_name="budget_pool")
    op.drop_table("budget_pool")
    op.drop_index(op.f("ix_electricity_surcharge_table_id"), table_name="electricity_surcharge")
    op.drop_table("electricity_surcharge")
    op.drop_index(op.f("ix_asset_reported_month_asset_id"), table_name="asset_reported_month")
    op.drop_table("asset_reported_month")
