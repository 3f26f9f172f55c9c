"""Reading the audit log: filtered pages for the audit viewer, the tamper check, and checkpoints on demand.

Who sees what: an admin sees every row. A regulator sees the rows about enterprises in its subtree
(entity ``enterprise``, id = credit code) — a cheap filter; rows of other entities (reports, catalogs,
users …) are admin-only, because tying each of them to a region would need a join per entity kind.
Everyone else is refused. Writing rows is :func:`dualcarbon.store.audit.append_audit`'s job alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from dualcarbon.accounts.schemas import AuditCheck, AuditEntry, AuditProblem
from dualcarbon.core.access import Principal, require_role
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.store.audit_check import check_audit_log, checkpoint_now
from dualcarbon.store.models import AuditLog


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." ("enterprise.")
    since: datetime | None = None
    until: datetime | None = None


def _scope(actor: Principal) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    require_role(actor, "regulator")
    readable = select(Enterprise.credit_code).where(enterprise_filter(actor))
    return and_(AuditLog.entity == "enterprise", AuditLog.entity_id.in_(readable))


def audit_item(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at.isoformat(),
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
        row_hash=row.row_hash,
    )


def list_audit(
    session: Session, actor: Principal, query: AuditQuery | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """Newest first: one page of the audit rows the actor may see, and their total."""
    query = query or AuditQuery()
    conditions = [_scope(actor)]
    if query.entity:
        conditions.append(AuditLog.entity == query.entity)
    if query.entity_id:
        conditions.append(AuditLog.entity_id == query.entity_id)
    if query.actor:
        conditions.append(AuditLog.actor == query.actor)
    if query.action:
        conditions.append(
            AuditLog.action.startswith(query.action, autoescape=True)
            if query.action.endswith(".")
            else AuditLog.action == query.action
        )
    if query.since:
        conditions.append(AuditLog.at >= query.since)
    if query.until:
        conditions.append(AuditLog.at < query.until)
    condition = and_(*conditions)
    total = session.scalar(select(func.count(AuditLog.id)).where(condition)) or 0
    rows = session.scalars(select(AuditLog).where(condition).order_by(AuditLog.id.desc()).limit(limit).offset(offset))
    return [audit_item(row) for row in rows], total


def verify_audit(session: Session, actor: Principal) -> AuditCheck:
    """Check the audit log (admin only): the keyed chain, the append-only triggers and the checkpoints kept
    outside the database; whether it is intact, over how many rows, the problems and warnings found.
    """
    require_role(actor, "admin")
    report = check_audit_log(session)
    return AuditCheck(
        intact=report.intact,
        rows=report.rows,
        problems=[AuditProblem(row_id=p.row_id, kind=p.kind, detail=p.detail) for p in report.problems],
        warnings=[AuditProblem(row_id=p.row_id, kind=p.kind, detail=p.detail) for p in report.warnings],
        checkpoint_at=report.checkpoint.at if report.checkpoint else None,
        checkpoint_rows=report.checkpoint.rows if report.checkpoint else None,
    )


def checkpoint_audit(session: Session, actor: Principal) -> dict[str, object] | None:
    """Write a signed checkpoint of the current head now (admin only), e.g. from cron so the sink sees it."""
    require_role(actor, "admin")
    return checkpoint_now(session)
