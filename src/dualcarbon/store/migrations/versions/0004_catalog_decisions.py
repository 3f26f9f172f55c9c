"""Carried catalog decisions (upheld appeals, expert decisions) and their input fingerprints.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # placeholder in the chain; filled by the change that needs it


def downgrade() -> None:
    pass
