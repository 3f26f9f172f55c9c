"""Designations: 零碳工厂 (zero-carbon factory) as a kind, for Shanghai's exemption list (豁免企业清单).

The kind's CHECK constraint lists the kinds, so it is replaced. No table refers to ``green_designation``, so SQLite's
batch re-creation of the table is safe. src/dualcarbon/assets/schemas.py ``DesignationKind``.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "kind IN ('green_factory', 'green_supply_chain', 'green_product', 'green_park')"
_NEW = "kind IN ('green_factory', 'green_supply_chain', 'green_product', 'green_park', 'zero_carbon_factory')"


def _replace(condition: str) -> None:
    with op.batch_alter_table("green_designation") as batch:
        batch.drop_constraint(op.f("ck_green_designation_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_green_designation_kind_known"), condition)


def upgrade() -> None:
    _replace(_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM green_designation WHERE kind = 'zero_carbon_factory'")
    _replace(_OLD)
