"""One efficiency catalog in force per region × half-year × basis.

Upheld appeals are carried into later generations by the catalog service with a fingerprint of the inputs
they judged, kept in the entries' evidence JSON (no new column). What the schema adds is the partial unique
index ``uq_catalog_in_force`` on ``catalog (region_code, half, basis) WHERE state = 'published'``; a store that
already holds several published catalogs for one key (one per benchmark edition, which publishing allowed
before) keeps the newest in force and marks the older ones ``superseded`` first.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FORCE = "state = 'published'"


def upgrade() -> None:
    op.execute(
        "UPDATE catalog SET state = 'superseded' WHERE state = 'published' AND EXISTS ("
        "SELECT 1 FROM catalog AS newer WHERE newer.state = 'published' AND newer.region_code = catalog.region_code"
        " AND newer.half = catalog.half AND newer.basis = catalog.basis AND newer.id > catalog.id)"
    )
    op.create_index(
        "uq_catalog_in_force",
        "catalog",
        ["region_code", "half", "basis"],
        unique=True,
        sqlite_where=sa.text(IN_FORCE),
        postgresql_where=sa.text(IN_FORCE),
    )


def downgrade() -> None:
    op.drop_index("uq_catalog_in_force", table_name="catalog")
