"""Keyed audit chain: ``audit_log.seq``, the row's position in the chain (1, 2, 3 …).

Rows written from now on carry ``seq`` and an HMAC-SHA256 ``row_hash`` keyed by a secret kept outside the
database (``dualcarbon.store.audit_files``); ``seq`` of the head is the row count a checkpoint records.
Rows written before this revision keep ``seq`` NULL and their plain SHA-256 hash ("legacy" rows): the
append-only triggers refuse UPDATE, and rewriting them would be exactly what the chain exists to expose.

Adding a nullable column is a plain ``ALTER TABLE … ADD COLUMN`` on both backends, so the table (and its
triggers) is never rebuilt. Downgrade drops the column (SQLite ≥ 3.35 drops it in place too).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: a batch rebuild would copy the table and silently lose its triggers.
        op.execute("ALTER TABLE audit_log DROP COLUMN seq")
    else:
        op.drop_column("audit_log", "seq")
