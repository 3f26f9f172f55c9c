"""The audit log's keyed hash chain: appending a change and verifying that no row was altered or removed.

Each row's ``row_hash`` is HMAC-SHA256, under a key kept outside the database
(:mod:`dualcarbon.store.audit_files`), of the canonical JSON of
``["v1", seq, prev_hash, at (ISO 8601, UTC, microseconds), actor, action, entity, entity_id, before, after]``;
``seq`` is the row's position in the chain (1 for the first row) and ``prev_hash`` the ``row_hash`` of the
row before it (64 zeros for the first row). Editing any stored field breaks that row's hash; deleting or
inserting a row breaks the link of the next one; and without the key nobody can compute a valid hash, so
recomputing the chain after an edit shows too.

Rows written before the chain was keyed (migration 0005) have ``seq`` NULL and the legacy hash: plain
sha256 over ``[prev_hash, at, actor, action, entity, entity_id, before, after]`` (:func:`audit_row_hash`).
They are still checked and linked, and reported as unkeyed; an unkeyed row after a keyed one is re-chaining.

Writers are serialised while they read the chain's head and insert: PostgreSQL by a transaction-level
advisory lock, SQLite by taking the database write lock first. A UNIQUE constraint on ``prev_hash``
makes a fork impossible even for a writer that bypasses this module. After the commit, a signed checkpoint
of the new head goes to a file outside the database (and optionally a sink); truncation, dropped triggers
and checkpoint checks are in :mod:`dualcarbon.store.audit_check`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dualcarbon.store.audit_files import (
    AuditKey,
    AuditKeyError,
    audit_files_for,
    cached_key,
    load_key,
    pending_files,
    remember_head,
    session_url,
)
from dualcarbon.store.base import utcnow
from dualcarbon.store.models import AuditLog

GENESIS_HASH = "0" * 64
# Arbitrary constant key of the advisory lock guarding the chain head on PostgreSQL.
AUDIT_LOCK_KEY = 0x6463415544  # "dcAUD"

ProblemKind = Literal[
    "hash_mismatch",  # the row's content does not give its stored hash (edited)
    "broken_link",  # prev_hash is not the previous row's hash (a row removed or inserted)
    "sequence_gap",  # seq does not follow the previous row's (a row removed, the rest re-numbered)
    "rechained",  # hashes recomputed without the key, or a checkpointed head is no longer in the chain
    "key_missing",  # keyed rows exist but the key file does not: their hashes cannot be checked
    "truncated",  # fewer rows / a lower head than a checkpoint recorded
    "triggers_missing",  # an append-only trigger is gone, disabled or altered
    "checkpoint_invalid",  # a checkpoint line is unreadable, forged, or signed with another key
    "checkpoints_missing",  # keyed rows exist but the checkpoint file does not (deleted, or not configured)
]
# Facts worth knowing that are not evidence of tampering (reported beside the problems, never failing).
WarningKind = Literal["legacy_rows", "no_checkpoint", "unanchored_rows", "checkpoints_reset"]


@dataclass(frozen=True)
class AuditProblem:
    """One defect found in the chain: the row, what is wrong, and the expected vs. stored value."""

    row_id: int  # 0 when it concerns the log as a whole
    kind: ProblemKind | WarningKind
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


def keyed_row_hash(
    key: AuditKey,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> str:
    """HMAC-SHA256 hex, under the audit key, of one row's position and content chained to ``prev_hash``."""
    at_iso = at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = ["v1", seq, prev_hash, at_iso, actor, action, entity, entity_id, before, after]
    return hmac.new(key.row_key, canonical_json(payload).encode("utf-8"), hashlib.sha256).hexdigest()


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
    head = session.execute(select(AuditLog.row_hash, AuditLog.seq).order_by(AuditLog.id.desc()).limit(1)).first()
    if head is None:
        prev_hash, seq = GENESIS_HASH, 1
    elif head.seq is None:  # the first keyed row after legacy ones: counted once
        prev_hash, seq = head.row_hash, (session.scalar(select(func.count(AuditLog.id))) or 0) + 1
    else:
        prev_hash, seq = head.row_hash, head.seq + 1
    earlier = pending_files(session)
    if earlier is not None:
        files, key = earlier
    else:
        files = audit_files_for(session_url(session))
        key = _key_for_append(files.key_file, keyed_rows_exist=head is not None and head.seq is not None)
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
        seq=seq,
        row_hash=keyed_row_hash(
            key, seq, prev_hash, at, actor, action, entity, entity_id_text, before_json, after_json
        ),
    )
    session.add(row)
    session.flush()
    remember_head(session, files, key, seq, row.id, row.row_hash)
    return row


def _key_for_append(path: Path, *, keyed_rows_exist: bool) -> AuditKey:
    # A new key only for a chain without keyed rows: a fresh key would make every earlier row unverifiable.
    key = load_key(path, create=not keyed_rows_exist)
    if key is None:
        key = cached_key(path)  # the file vanished under a running writer: carry on, verify will say so
        if key is None:
            raise AuditKeyError(
                f"the audit key file {path} is missing, but the audit log already has keyed rows; restore the"
                " file from a backup (or point DUALCARBON_AUDIT_KEY_FILE at it)"
            )
    return key


def audit_head(session: Session) -> tuple[int, str] | None:
    """(id, row_hash) of the newest audit row, to anchor the chain outside the database; None if empty."""
    row = session.execute(select(AuditLog.id, AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    return None if row is None else (row.id, row.row_hash)


@dataclass
class ChainWalk:
    """What one pass over the chain found: problems, counts, the head, and the rows checkpoints name."""

    problems: list[AuditProblem] = field(default_factory=list)
    rows: int = 0
    legacy_rows: int = 0
    head_id: int | None = None
    head_hash: str = GENESIS_HASH
    found: dict[int, tuple[str, int | None, int]] = field(default_factory=dict)  # id → (hash, seq, position)


def walk_chain(
    session: Session, key: AuditKey | None, *, wanted: frozenset[int] = frozenset(), batch_size: int = 1000
) -> ChainWalk:
    """Recompute every row's hash and link, oldest first; note the rows whose ids are in ``wanted``.

    Keyed rows are checked with ``key``; when it is None (key file missing) only their links and sequence
    are, and one ``key_missing`` problem says so.
    """
    walk = ChainWalk()
    expected_prev = GENESIS_HASH
    expected_seq: int | None = None
    keyed_seen = False
    rows = session.scalars(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=batch_size))
    for row in rows:
        walk.rows += 1
        if row.prev_hash != expected_prev:
            walk.problems.append(
                AuditProblem(row.id, "broken_link", f"prev_hash {row.prev_hash} but previous row_hash {expected_prev}")
            )
        plain = audit_row_hash(
            row.prev_hash, row.at, row.actor, row.action, row.entity, row.entity_id, row.before, row.after
        )
        if row.seq is None:
            walk.legacy_rows += 1
            if keyed_seen:
                walk.problems.append(
                    AuditProblem(row.id, "rechained", "unkeyed row after keyed rows: hashed without the key")
                )
            elif plain != row.row_hash:
                walk.problems.append(
                    AuditProblem(row.id, "hash_mismatch", f"stored row_hash {row.row_hash}, content gives {plain}")
                )
        else:
            if expected_seq is None:
                expected_seq = walk.rows
            if row.seq != expected_seq:
                walk.problems.append(
                    AuditProblem(row.id, "sequence_gap", f"seq {row.seq} where {expected_seq} was expected")
                )
            expected_seq = row.seq + 1
            keyed_seen = True
            if key is not None:
                keyed = keyed_row_hash(
                    key,
                    row.seq,
                    row.prev_hash,
                    row.at,
                    row.actor,
                    row.action,
                    row.entity,
                    row.entity_id,
                    row.before,
                    row.after,
                )
                if keyed != row.row_hash:
                    if plain == row.row_hash:
                        walk.problems.append(
                            AuditProblem(row.id, "rechained", "row hash is a plain SHA-256: recomputed without the key")
                        )
                    else:
                        walk.problems.append(
                            AuditProblem(row.id, "hash_mismatch", "stored row_hash does not match the keyed hash")
                        )
        if row.id in wanted:
            walk.found[row.id] = (row.row_hash, row.seq, walk.rows)
        expected_prev = row.row_hash
        walk.head_id, walk.head_hash = row.id, row.row_hash
    if keyed_seen and key is None:
        walk.problems.insert(0, AuditProblem(0, "key_missing", "keyed rows exist but the audit key file is missing"))
    return walk


def verify_audit_chain(session: Session, *, batch_size: int = 1000) -> list[AuditProblem]:
    """Recompute every row's hash and link with the audit key; an empty list means the chain is intact.

    This looks inside the database only. Removal of the newest rows, dropped triggers and re-chaining with
    the key show only against what is kept outside: :func:`dualcarbon.store.audit_check.check_audit_log`.
    """
    files = audit_files_for(session_url(session))
    return walk_chain(session, load_key(files.key_file), batch_size=batch_size).problems
