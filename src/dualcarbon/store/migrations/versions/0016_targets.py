"""Targets and progress: targets with yearly achievements, the high-consumption screening list by year,
在建/拟建 projects with their design unit consumption.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("comparison", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("base_year", sa.Integer(), nullable=True),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("pack_id", sa.String(length=64), nullable=True),
        sa.Column("rule_id", sa.String(length=128), nullable=True),
        sa.Column("clause", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("scope IN ('region', 'group', 'enterprise')", name=op.f("ck_policy_target_scope_known")),
        sa.CheckConstraint("comparison IN ('at_least', 'at_most')", name=op.f("ck_policy_target_comparison_known")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_policy_target_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_policy_target_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_target")),
    )
    op.create_index(op.f("ix_policy_target_enterprise_id"), "policy_target", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_policy_target_region_code"), "policy_target", ["region_code"], unique=False)
    op.create_table(
        "policy_target_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("achieved", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["policy_target.id"],
            name=op.f("fk_policy_target_year_target_id_policy_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_target_year")),
        sa.UniqueConstraint("target_id", "year", name=op.f("uq_policy_target_year_target_id_year")),
    )
    op.create_index(op.f("ix_policy_target_year_target_id"), "policy_target_year", ["target_id"], unique=False)
    op.create_table(
        "screening_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("listed_by", sa.String(length=64), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_screening_entry_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_screening_entry_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_entry")),
        sa.UniqueConstraint(
            "year", "pack_id", "enterprise_id", name=op.f("uq_screening_entry_year_pack_id_enterprise_id")
        ),
    )
    op.create_index(op.f("ix_screening_entry_enterprise_id"), "screening_entry", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_screening_entry_region_code"), "screening_entry", ["region_code"], unique=False)
    op.create_index(op.f("ix_screening_entry_year"), "screening_entry", ["year"], unique=False)
    op.create_table(
        "construction_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("benchmark_row_id", sa.String(length=32), nullable=False),
        sa.Column("design_unit_consumption", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("annual_energy_tce", sa.Double(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('under_construction', 'planned')", name=op.f("ck_construction_project_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_construction_project_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name=op.f("fk_construction_project_region_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_construction_project")),
    )
    op.create_index(
        op.f("ix_construction_project_enterprise_id"), "construction_project", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_construction_project_region_code"), "construction_project", ["region_code"], unique=False)


def downgrade() -> None:
    op.drop_table("construction_project")
    op.drop_table("screening_entry")
    op.drop_table("policy_target_year")
    op.drop_table("policy_target")
