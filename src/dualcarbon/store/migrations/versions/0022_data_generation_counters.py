"""Data generation counters: committed changes per table, bumped by triggers, for the response cache.

* ``data_generation`` — (table, slot) → how many committed transactions changed the table
  (src/dualcarbon/store/generation.py ``GenerationCounter``; docs/decisions/0013). Written only by triggers, in the
  writing transaction itself, so a bump is visible exactly when the change is, whoever made it.
* A trigger set on every table there is now (not on Alembic's own, not on the counters, not on PostgreSQL's
  monthly partitions of ``meter_reading``: writes reach them through the parent, whose trigger counts them).
  SQLite: row triggers after INSERT, UPDATE and DELETE, slot 0. PostgreSQL: one statement trigger after INSERT,
  UPDATE, DELETE and TRUNCATE calling ``dcgen_bump()``, which bumps once per transaction and table in slot
  ``pg_backend_pid() % 16``. Updates of ``api_token.last_used_at`` alone do not bump.

A later migration that creates a table, or re-creates one (SQLite's batch mode drops the table's triggers), runs
``trigger_statements`` for it; tests/store/test_generation_triggers.py fails when a table has none.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dualcarbon.store.generation import GENERATION_TABLE, NOT_COUNTED, PG_FUNCTION, TRIGGER_PREFIX, trigger_statements

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables(bind: sa.Connection) -> list[str]:
    if bind.dialect.name == "postgresql":
        rows = bind.execute(
            sa.text(
                "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND NOT relispartition "
                "AND relnamespace = current_schema()::regnamespace ORDER BY relname"
            )
        )
    else:
        rows = bind.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        )
    return sorted(str(row[0]) for row in rows if row[0] not in NOT_COUNTED)


def upgrade() -> None:
    op.create_table(
        GENERATION_TABLE,
        sa.Column("table_name", sa.String(length=128), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "slot", name=op.f("pk_data_generation")),
    )
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
    inspector = sa.inspect(bind)
    for table in _tables(bind):
        columns = [column["name"] for column in inspector.get_columns(table)]
        for statement in trigger_statements(dialect, table, columns):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for table in _tables(bind):
        if bind.dialect.name == "postgresql":
            op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{table} ON "{table}"')
        else:
            for suffix in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{table}_{suffix}")
    op.drop_table(GENERATION_TABLE)
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER_PREFIX}bump()")
