"""Policy packs stored, subsidy applications, assets, targets (slot).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # policy packs imported as versions (dualcarbon.policy.models.PolicyPackVersion)
    op.create_table(
        "policy_pack_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("jurisdiction", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_pack_version")),
        sa.UniqueConstraint("pack_id", "version", name=op.f("uq_policy_pack_version_pack_id_version")),
        sa.UniqueConstraint("pack_id", "sha256", name=op.f("uq_policy_pack_version_pack_id_sha256")),
    )
    op.create_index(op.f("ix_policy_pack_version_pack_id"), "policy_pack_version", ["pack_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_policy_pack_version_pack_id"), table_name="policy_pack_version")
    op.drop_table("policy_pack_version")
