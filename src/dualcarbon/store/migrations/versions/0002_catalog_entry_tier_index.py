"""Index catalog entries by (catalog, tier): counts per tier and tier-filtered entry lists.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_catalog_entry_catalog_id_tier", "catalog_entry", ["catalog_id", "tier"])


def downgrade() -> None:
    op.drop_index("ix_catalog_entry_catalog_id_tier", table_name="catalog_entry")
