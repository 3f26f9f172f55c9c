"""Operational tables: the append-only, keyed hash-chained audit log and background jobs.

Rows of ``audit_log`` are written only through ``dualcarbon.store.audit.append_audit``; database
triggers (created by the migrations) refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.core.vocab import JOB_STATES, JobState
from dualcarbon.store.base import Base, one_of_sql, utcnow


class AuditLog(Base):
    """One audited change: who (``actor``), when (``at``, UTC), what (``action`` on ``entity``/``entity_id``),
    the state before and after, and the hash chain (``prev_hash`` → ``row_hash``).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        {"sqlite_autoincrement": True},  # never reuse an id, even of the last row
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))  # username or "system"
    action: Mapped[str] = mapped_column(String(64))  # e.g. "enterprise.create"
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # unique: the chain cannot fork
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Position in the chain (1 = first row), inside the keyed hash; NULL on rows written before the chain
    # was keyed (migration 0005), whose row_hash is the legacy unkeyed SHA-256.
    seq: Mapped[int | None] = mapped_column(Integer)


class Job(Base):
    """A background job (import, catalog build, export …) with its progress (0 to 1) and result."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_state_created_at", "state", "created_at"),
        CheckConstraint(one_of_sql("state", JOB_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    state: Mapped[JobState] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
