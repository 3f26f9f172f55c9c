"""Version columns for the state machines (reports, catalogs, appeals, users, tokens): one winner per change.

Each table whose rows move through states gets ``lock_version`` (integer, not null, default 0). A state
change is written as ``UPDATE … SET lock_version = lock_version + 1 WHERE id = :id AND lock_version = :seen``
(:mod:`dualcarbon.store.versioning`): of two transactions that read the same row, only the first to write
matches; the other gets a Conflict instead of a second, interleaved state change. Existing rows start at 0.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED_TABLES = ("period_report", "catalog", "appeal", "user_account", "api_token")


def upgrade() -> None:
    for table in VERSIONED_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lock_version", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    for table in reversed(VERSIONED_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lock_version")
