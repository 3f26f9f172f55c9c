"""A measure may cite the technology catalogue: ``audit_measure.technology_code`` → ``technology.code``.

Nullable (a measure without a catalogue technology stays as it was), indexed for the technology's "measures
citing it" read (src/dualcarbon/equipment/service_catalogues.py). SQLite adds the column with its REFERENCES in
place (a batch rebuild would drop and copy ``audit_measure``); PostgreSQL adds the column, the key and the index.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_audit_measure_technology_code_technology"
_IX = "ix_audit_measure_technology_code"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE audit_measure ADD COLUMN technology_code VARCHAR(64) CONSTRAINT {_FK} "
            "REFERENCES technology (code)"
        )
    else:
        op.add_column("audit_measure", sa.Column("technology_code", sa.String(64), nullable=True))
        op.create_foreign_key(op.f(_FK), "audit_measure", "technology", ["technology_code"], ["code"])
    op.create_index(op.f(_IX), "audit_measure", ["technology_code"])


def downgrade() -> None:
    op.drop_index(op.f(_IX), table_name="audit_measure")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_measure DROP COLUMN technology_code")
        return
    op.drop_constraint(op.f(_FK), "audit_measure", type_="foreignkey")
    op.drop_column("audit_measure", "technology_code")
