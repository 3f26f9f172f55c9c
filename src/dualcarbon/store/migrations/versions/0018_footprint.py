"""Product carbon footprint studies (产品碳足迹): ``footprint_study`` (src/dualcarbon/footprint/models.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "footprint_study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("report_version_id", sa.Integer(), nullable=False),
        sa.Column("allocation_method", sa.String(length=16), nullable=False),
        sa.Column("values_10k_yuan", sa.JSON(), nullable=True),
        sa.Column("process_tco2", sa.Double(), nullable=False),
        sa.Column("process_source", sa.Text(), nullable=True),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("total_tco2e", sa.Double(), nullable=True),
        sa.Column("per_unit_tco2e", sa.Double(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'published')", name=op.f("ck_footprint_study_state_known")),
        sa.CheckConstraint(
            "allocation_method IN ('mass', 'economic')", name=op.f("ck_footprint_study_allocation_known")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_footprint_study_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_footprint_study_region_code_region")),
        sa.ForeignKeyConstraint(
            ["report_version_id"],
            ["period_report_version.id"],
            name=op.f("fk_footprint_study_report_version_id_period_report_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footprint_study")),
    )
    op.create_index("ix_footprint_study_enterprise_year", "footprint_study", ["enterprise_id", "year"], unique=False)
    op.create_index("ix_footprint_study_region_state", "footprint_study", ["region_code", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_footprint_study_region_state", table_name="footprint_study")
    op.drop_index("ix_footprint_study_enterprise_year", table_name="footprint_study")
    op.drop_table("footprint_study")
