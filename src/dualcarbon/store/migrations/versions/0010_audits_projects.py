"""Audits, diagnoses, agencies and the project library: agencies and their members and enterprises, audit and
diagnosis reports with measures and acceptance checklists, retrofit plans (一企一策), projects, milestones,
documents and M&V adjustments.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROJECT_TYPES_SQL = (
    "project_type IN ('process', 'equipment', 'waste_heat', 'motor_system', 'photovoltaic', 'storage', "
    "'energy_centre', 'other')"
)


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_agency_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_agency_credit_code")),
    )
    op.create_index(op.f("ix_agency_region_code"), "agency", ["region_code"], unique=False)
    op.create_table(
        "agency_enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_agency_enterprise_agency_id_agency"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_agency_enterprise_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_enterprise")),
        sa.UniqueConstraint("agency_id", "enterprise_id", name=op.f("uq_agency_enterprise_agency_id_enterprise_id")),
    )
    op.create_index(op.f("ix_agency_enterprise_agency_id"), "agency_enterprise", ["agency_id"], unique=False)
    op.create_index(op.f("ix_agency_enterprise_enterprise_id"), "agency_enterprise", ["enterprise_id"], unique=False)
    op.create_table(
        "agency_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_agency_member_agency_id_agency"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_agency_member_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_member")),
        sa.UniqueConstraint("user_id", name=op.f("uq_agency_member_user_id")),
    )
    op.create_index(op.f("ix_agency_member_agency_id"), "agency_member", ["agency_id"], unique=False)
    op.create_table(
        "audit_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("baseline_energy_tce", sa.Double(), nullable=True),
        sa.Column("potential_pct", sa.Double(), nullable=True),
        sa.Column("balance", sa.JSON(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("feedback_score", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("kind IN ('audit', 'diagnosis')", name=op.f("ck_audit_report_kind_known")),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'returned', 'accepted')", name=op.f("ck_audit_report_state_known")
        ),
        sa.CheckConstraint(
            "feedback_score IS NULL OR feedback_score BETWEEN 1 AND 5", name=op.f("ck_audit_report_feedback_range")
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_audit_report_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_audit_report_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_audit_report_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_report")),
    )
    op.create_index(op.f("ix_audit_report_agency_id"), "audit_report", ["agency_id"], unique=False)
    op.create_index(op.f("ix_audit_report_enterprise_id"), "audit_report", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_audit_report_year"), "audit_report", ["year"], unique=False)
    op.create_table(
        "retrofit_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_retrofit_plan_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrofit_plan")),
        sa.UniqueConstraint("enterprise_id", name=op.f("uq_retrofit_plan_enterprise_id")),
    )
    op.create_table(
        "acceptance_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.String(length=64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["audit_report.id"],
            name=op.f("fk_acceptance_item_report_id_audit_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_item")),
    )
    op.create_index(op.f("ix_acceptance_item_report_id"), "acceptance_item", ["report_id"], unique=False)
    op.create_table(
        "audit_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("project_type", sa.String(length=16), nullable=False),
        sa.Column("investment_yuan", sa.Double(), nullable=False),
        sa.Column("saving_tce_per_year", sa.Double(), nullable=False),
        sa.Column("saving_tco2_per_year", sa.Double(), nullable=True),
        sa.Column("energy_price_yuan_per_tce", sa.Double(), nullable=True),
        sa.Column("payback_years", sa.Double(), nullable=True),
        sa.Column("implementable", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            PROJECT_TYPES_SQL,
            name=op.f("ck_audit_measure_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["audit_report.id"], name=op.f("fk_audit_measure_report_id_audit_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_measure")),
    )
    op.create_index(op.f("ix_audit_measure_report_id"), "audit_measure", ["report_id"], unique=False)
    op.create_table(
        "retrofit_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("project_type", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("catalog_entry_id", sa.Integer(), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("investment_yuan", sa.Double(), nullable=True),
        sa.Column("saving_tce_per_year", sa.Double(), nullable=True),
        sa.Column("saving_tco2_per_year", sa.Double(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_beyond_policy", sa.Boolean(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("demonstration", sa.Boolean(), nullable=False),
        sa.Column("verified_tce_per_year", sa.Double(), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "origin IN ('measure', 'catalog_entry', 'direct')", name=op.f("ck_retrofit_project_origin_known")
        ),
        sa.CheckConstraint(
            PROJECT_TYPES_SQL,
            name=op.f("ck_retrofit_project_type_known"),
        ),
        sa.CheckConstraint(
            "state IN ('proposed', 'approved', 'in_progress', 'completed', 'verified', 'overdue', 'exited')",
            name=op.f("ck_retrofit_project_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["catalog_entry_id"], ["catalog_entry.id"], name=op.f("fk_retrofit_project_catalog_entry_id_catalog_entry")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_retrofit_project_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["audit_measure.id"], name=op.f("fk_retrofit_project_measure_id_audit_measure")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["retrofit_plan.id"], name=op.f("fk_retrofit_project_plan_id_retrofit_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrofit_project")),
        sa.UniqueConstraint("measure_id", name=op.f("uq_retrofit_project_measure_id")),
    )
    op.create_index(
        op.f("ix_retrofit_project_catalog_entry_id"), "retrofit_project", ["catalog_entry_id"], unique=False
    )
    op.create_index(op.f("ix_retrofit_project_enterprise_id"), "retrofit_project", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_retrofit_project_plan_id"), "retrofit_project", ["plan_id"], unique=False)
    op.create_table(
        "mv_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("energy", sa.Double(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["retrofit_project.id"],
            name=op.f("fk_mv_adjustment_project_id_retrofit_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mv_adjustment")),
    )
    op.create_index(op.f("ix_mv_adjustment_project_id"), "mv_adjustment", ["project_id"], unique=False)
    op.create_table(
        "project_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_as", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["retrofit_project.id"],
            name=op.f("fk_project_document_project_id_retrofit_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_document")),
    )
    op.create_index(op.f("ix_project_document_project_id"), "project_document", ["project_id"], unique=False)
    op.create_table(
        "project_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["retrofit_project.id"],
            name=op.f("fk_project_milestone_project_id_retrofit_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestone")),
    )
    op.create_index(op.f("ix_project_milestone_project_id"), "project_milestone", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_milestone_project_id"), table_name="project_milestone")
    op.drop_table("project_milestone")
    op.drop_index(op.f("ix_project_document_project_id"), table_name="project_document")
    op.drop_table("project_document")
    op.drop_index(op.f("ix_mv_adjustment_project_id"), table_name="mv_adjustment")
    op.drop_table("mv_adjustment")
    op.drop_index(op.f("ix_retrofit_project_plan_id"), table_name="retrofit_project")
    op.drop_index(op.f("ix_retrofit_project_enterprise_id"), table_name="retrofit_project")
    op.drop_index(op.f("ix_retrofit_project_catalog_entry_id"), table_name="retrofit_project")
    op.drop_table("retrofit_project")
    op.drop_index(op.f("ix_audit_measure_report_id"), table_name="audit_measure")
    op.drop_table("audit_measure")
    op.drop_index(op.f("ix_acceptance_item_report_id"), table_name="acceptance_item")
    op.drop_table("acceptance_item")
    op.drop_table("retrofit_plan")
    op.drop_index(op.f("ix_audit_report_year"), table_name="audit_report")
    op.drop_index(op.f("ix_audit_report_enterprise_id"), table_name="audit_report")
    op.drop_index(op.f("ix_audit_report_agency_id"), table_name="audit_report")
    op.drop_table("audit_report")
    op.drop_index(op.f("ix_agency_member_agency_id"), table_name="agency_member")
    op.drop_table("agency_member")
    op.drop_index(op.f("ix_agency_enterprise_enterprise_id"), table_name="agency_enterprise")
    op.drop_index(op.f("ix_agency_enterprise_agency_id"), table_name="agency_enterprise")
    op.drop_table("agency_enterprise")
    op.drop_index(op.f("ix_agency_region_code"), table_name="agency")
    op.drop_table("agency")
