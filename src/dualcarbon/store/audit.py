"""The audit log's hash chain: appending a change and verifying that no row was altered or removed.

Each row's ``row_hash`` is sha256 over the canonical JSON of
``[prev_hash, at (ISO 8601, UTC, microseconds), actor, action, entity, entity_id, before, after]``,
and ``prev_hash`` is the ``row_hash`` of the row before it (64 zeros for the first row). Editing any
stored field breaks that row's hash; deleting or inserting a row breaks the link of the next one.

Writers are serialised while they read the chain's head and insert: PostgreSQL by a transaction-level
advisory lock, SQLite by taking the database write lock first. A UNIQUE constraint on ``prev_hash``
makes a fork impossible even for a writer that bypasses this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualcarbon.store.base import utcnow
from dualcarbon.store.models import AuditLog

GENESIS_HASH = "0" * 64
# Arbitrary constant key of the advisory lock guarding the chain head on PostgreSQL.
AUDIT_LOCK_KEY = 0x6463415544  # "dcAUD"

ProblemKind = Literal["hash_mismatch", "broken_link"]


@dataclass(frozen=True)
class AuditProblem:
    """One defect found in the chain: the row, what is wrong, and the expected vs. stored value."""

    row_id: int
    kind: ProblemKind
    detail: str


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable for the audit log")


def canonical_json(value: object) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 text kept, NaN/Infinity refused."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def audit_row_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> str:
    """sha256 hex of one audit row's content chained to ``prev_hash``."""
    at_iso = at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = [prev_hash, at_iso, actor, action, entity, entity_id, before, after]
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _lock_chain_head(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    elif dialect == "sqlite":
        # A write statement takes SQLite's database write lock (it changes no row, so the append-only
        # triggers do not fire). Inside session_scope(write=True) the lock is already held.
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def append_audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one row to the audit chain inside the caller's transaction and return it (flushed).

    ``before``/``after`` are dicts of the entity's fields (values JSON-like; datetimes, dates, Decimals,
    UUIDs and Enums are converted); None means "did not exist" (create) or "no longer exists" (delete).
    The row becomes visible, and the chain head moves, when the caller commits.
    """
    for name, value in (("before", before), ("after", after)):
        # A bare top-level number would not survive SQLite (NUMERIC affinity turns "5.0" into 5).
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"audit {name} must be a dict of fields or None, not {type(value).__name__}")
    _lock_chain_head(session)
    prev_hash = session.scalar(select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1))
    prev_hash = prev_hash or GENESIS_HASH
    # Store exactly what is hashed: round-trip through canonical JSON so the database holds plain JSON.
    before_json = None if before is None else json.loads(canonical_json(before))
    after_json = None if after is None else json.loads(canonical_json(after))
    at = utcnow()
    entity_id_text = str(entity_id)
    row = AuditLog(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id_text,
        before=before_json,
        after=after_json,
        prev_hash=prev_hash,
        row_hash=audit_row_hash(prev_hash, at, actor, action, entity, entity_id_text, before_json, after_json),
    )
    session.add(row)
    session.flush()
    return row


def audit_head(session: Session) -> tuple[int, str] | None:
    """(id, row_hash) of the newest audit row, to anchor the chain outside the database; None if empty."""
    row = session.execute(select(AuditLog.id, AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    return None if row is None else (row.id, row.row_hash)


def verify_audit_chain(session: Session, *, batch_size: int = 1000) -> list[AuditProblem]:
    """Recompute every row's hash and link, oldest first; an empty list means the chain is intact.

    Removal of the newest rows cannot be seen from inside the database; compare ``audit_head`` with an
    anchor kept elsewhere for that.
    """
    problems: list[AuditProblem] = []
    expected_prev = GENESIS_HASH
    rows = session.scalars(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=batch_size))
    for row in rows:
        if row.prev_hash != expected_prev:
            problems.append(
                AuditProblem(row.id, "broken_link", f"prev_hash {row.prev_hash} but previous row_hash {expected_prev}")
            )
        recomputed = audit_row_hash(
            row.prev_hash, row.at, row.actor, row.action, row.entity, row.entity_id, row.before, row.after
        )
        if recomputed != row.row_hash:
            problems.append(
                AuditProblem(row.id, "hash_mismatch", f"stored row_hash {row.row_hash}, content gives {recomputed}")
            )
        expected_prev = row.row_hash
    return problems
