"""Index enterprises in the order the enterprise list shows them (region code, name, id).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_enterprise_region_name_id", "enterprise", ["region_code", "name", "id"])


def downgrade() -> None:
    op.drop_index("ix_enterprise_region_name_id", table_name="enterprise")
