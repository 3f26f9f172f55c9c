"""One winner per state change: the ``lock_version`` check-and-bump every state machine goes through.

Rows that move through states (period reports, catalogs, appeals, users, API tokens) carry an integer
``lock_version`` (migration 0003). A service checks the state it loaded and then calls :func:`claim_row`
before changing it. ``claim_row`` writes

    UPDATE <table> SET lock_version = lock_version + 1 WHERE id = :id AND lock_version = :seen

where ``:seen`` is the version the transaction loaded. Of two transactions that loaded the same version,
the first UPDATE matches; the second waits for the first to end (PostgreSQL re-checks the WHERE clause on
the committed row) and matches no row, so it raises :class:`~dualcarbon.core.errors.Conflict` — HTTP 409 —
instead of making a second, interleaved state change. On SQLite writers are serialised by the database
lock (``BEGIN IMMEDIATE``, :func:`dualcarbon.store.db.writing`), so the check there guards against a
transaction that read the row before another one changed it.

Claim first, then write the change, the review row and the audit row: a loser stops before it writes
anything, and holds no lock while the winner appends to the audit chain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dualcarbon.core.errors import Conflict, zh_en

VERSION_COLUMN = "lock_version"


def claim_row(session: Session, row: Any, *, what: str | None = None) -> int:
    """Bump ``row.lock_version`` if the stored row still has the version this transaction loaded.

    Returns the new version. Raises ``Conflict`` at ``lock_version`` ("中文 / English"; the English half names
    ``what``, e.g. "report 12", and the row's state now when it has one) when another transaction changed the
    row since it was loaded.
    """
    mapper = inspect(row).mapper
    table = mapper.local_table
    primary_key = mapper.primary_key[0]
    row_id = getattr(row, primary_key.key)
    seen = getattr(row, VERSION_COLUMN)
    version = table.c[VERSION_COLUMN]
    result = session.execute(
        update(table)
        .where(primary_key == row_id, version == seen)
        .values({VERSION_COLUMN: version + 1})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        label = what or f"{table.name} {row_id}"
        now = ""
        if "state" in table.c:
            state = session.scalar(select(table.c.state).where(primary_key == row_id))
            now = f" (it is {state} now)" if state is not None else ""
        zh = "这条记录刚被他人修改，请刷新后重试"
        raise Conflict(
            zh_en(zh, f"{label} was changed by someone else meanwhile{now}; reload it and try again"),
            field=VERSION_COLUMN,
            zh=zh,
        )
    set_committed_value(row, VERSION_COLUMN, seen + 1)
    return int(seen) + 1
