"""Generation counters on PostgreSQL: each writing transaction bumps in a slot it holds alone.

0022's ``dcgen_bump()`` bumped in slot ``pg_backend_pid() % 16``: two transactions whose backends shared a slot
and wrote two tables in opposite orders deadlocked on the counter rows (each held one row and waited for the
other's). The new body takes, at a transaction's first bump, a transaction-level advisory lock on a free slot of
64 (its own ``pid % 64`` first) and bumps every table there, so no two transactions ever update the same counter row
at once (src/dualcarbon/store/generation.py ``PG_FUNCTION``; tests/store/test_generation_deadlock.py). The
triggers call the function by name and are unchanged. SQLite: nothing (one writer at a time).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from dualcarbon.store.generation import GENERATION_TABLE, PG_FUNCTION, TRIGGER_PREFIX

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 0022's slots (a slot of ``pg_backend_pid() % 16``); 0023 bumps in one of ``PG_SLOTS`` (64) held alone.
PG_SLOTS_0022 = 16
# 0022's body, for the downgrade.
_PG_FUNCTION_0022 = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := '{TRIGGER_PREFIX[:-1]}.' || TG_TABLE_NAME;
BEGIN
    IF coalesce(current_setting(flag, true), '') <> '1' THEN
        INSERT INTO {GENERATION_TABLE} (table_name, slot, counter)
        VALUES (TG_TABLE_NAME, pg_backend_pid() % {PG_SLOTS_0022}, 1)
        ON CONFLICT (table_name, slot) DO UPDATE SET counter = {GENERATION_TABLE}.counter + 1;
        PERFORM set_config(flag, '1', true);
    END IF;
    RETURN NULL;
END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION_0022)
