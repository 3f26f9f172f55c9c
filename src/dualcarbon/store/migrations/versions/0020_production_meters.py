"""Production meters: a meter may measure production output (产量) instead of energy.

* ``meter.measures`` — ``energy`` (every existing meter) or ``production``;
* ``meter.product`` — the product a production meter measures (null for energy meters);
* a production meter has the empty carrier (a product is not an energy carrier with coefficients).
  src/dualcarbon/monitoring/models.py ``Meter``; docs/monitoring.md (meter register).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEASURES = "measures IN ('energy', 'production')"
_PRODUCT = "(measures = 'production') = (product IS NOT NULL AND carrier = '')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: it re-creates ``meter``, and dropping the old table fails (FOREIGN KEY constraint failed)
        # as soon as readings' conflicts, quality rows, arrivals or equipment refer to a meter. SQLite adds a column
        # with its CHECK in place.
        op.execute(
            "ALTER TABLE meter ADD COLUMN measures VARCHAR(16) DEFAULT 'energy' NOT NULL "
            f"CONSTRAINT ck_meter_measures_known CHECK ({_MEASURES})"
        )
        op.execute(
            "ALTER TABLE meter ADD COLUMN product VARCHAR(64) "
            f"CONSTRAINT ck_meter_product_iff_production CHECK ({_PRODUCT})"
        )
        return
    op.add_column("meter", sa.Column("measures", sa.String(16), nullable=False, server_default="energy"))
    op.add_column("meter", sa.Column("product", sa.String(64), nullable=True))
    op.create_check_constraint(op.f("ck_meter_measures_known"), "meter", _MEASURES)
    op.create_check_constraint(op.f("ck_meter_product_iff_production"), "meter", _PRODUCT)


def downgrade() -> None:
    op.execute("DELETE FROM meter WHERE measures = 'production'")
    if op.get_bind().dialect.name == "sqlite":  # the column CHECKs go with their columns (product first)
        op.execute("ALTER TABLE meter DROP COLUMN product")
        op.execute("ALTER TABLE meter DROP COLUMN measures")
        return
    op.drop_constraint(op.f("ck_meter_product_iff_production"), "meter", type_="check")
    op.drop_constraint(op.f("ck_meter_measures_known"), "meter", type_="check")
    op.drop_column("meter", "product")
    op.drop_column("meter", "measures")
