"""Version columns for the state machines (reports, catalogs, appeals, users, tokens): one winner per change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # placeholder in the chain; filled by the change that needs it


def downgrade() -> None:
    pass
