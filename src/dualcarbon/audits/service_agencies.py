"""Service agencies (节能诊断/审计服务机构): registration, members, assignment to enterprises, evaluation.

* A regulator registers an agency in a region of its scope (统一社会信用代码 checked) with its member users
  (each must hold the role ``agency``; one agency per user).
* Assigning the agency to an enterprise (regulator with write scope over it) records ``agency_enterprise``
  and gives every member the accounts' ``agency_assignment`` for it — the row the access rules read, so
  members then see and file for that enterprise (the principal cache is emptied by that change).
* Reading: admins; regulators/reviewers for agencies registered in their subtree; a member its own agency.
* Evaluation (服务机构评价): quality = accepted ÷ decided, timeliness = first submitted by the due date,
  the enterprises' feedback (1-5) — computed from the reports, nothing stored twice.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import AgencyAssignment, RoleAssignment, User
from dualcarbon.audits.models import Agency, AgencyEnterprise, AgencyMember, AuditReport
from dualcarbon.audits.schemas import AgencyEvaluation, AgencyIn, AgencyOut
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, zh_en
from dualcarbon.core.localtime import to_local
from dualcarbon.domain.identifiers import validate_credit_code
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import require_enterprise, require_region
from dualcarbon.store.audit import append_audit


def agency_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Agency`` rows the principal may read."""
    if principal.is_admin or principal.is_unscoped_reviewer():
        return true()
    conditions: list[ColumnElement[bool]] = [
        in_region_subtree(Agency.region_code.expression, root)
        for root in principal.region_roots("regulator", "reviewer")
    ]
    if principal.user_id is not None:
        mine = select(AgencyMember.agency_id).where(AgencyMember.user_id == principal.user_id)
        conditions.append(Agency.id.in_(mine))
    return or_(*conditions) if conditions else false()


def agency_of_user(session: Session, principal: Principal) -> Agency | None:
    """The agency the principal's user acts for, if any."""
    if principal.user_id is None:
        return None
    return session.scalar(
        select(Agency)
        .join(AgencyMember, AgencyMember.agency_id == Agency.id)
        .where(AgencyMember.user_id == principal.user_id)
    )


def agency_out(session: Session, agency: Agency) -> AgencyOut:
    members = session.scalars(
        select(User.username)
        .join(AgencyMember, AgencyMember.user_id == User.id)
        .where(AgencyMember.agency_id == agency.id)
        .order_by(User.username)
    )
    codes = session.scalars(
        select(Enterprise.credit_code)
        .join(AgencyEnterprise, AgencyEnterprise.enterprise_id == Enterprise.id)
        .where(AgencyEnterprise.agency_id == agency.id)
        .order_by(Enterprise.credit_code)
    )
    return AgencyOut(
        id=agency.id,
        name=agency.name,
        credit_code=agency.credit_code,
        region_code=agency.region_code,
        qualifications=list(agency.qualifications or []),
        contact=agency.contact,
        members=list(members),
        enterprises=list(codes),
    )


def get_agency(session: Session, principal: Principal, agency_id: int) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.id == agency_id, agency_filter(principal)))
    if agency is None:
        zh = "未找到该服务机构，或您无权查看"
        raise NotFound(zh_en(zh, f"agency {agency_id} not found"), field="agency_id", zh=zh)
    return agency


def list_agencies(session: Session, principal: Principal) -> list[AgencyOut]:
    rows = session.scalars(select(Agency).where(agency_filter(principal)).order_by(Agency.id))
    return [agency_out(session, agency) for agency in rows]


def _member_user(session: Session, username: str, index: int) -> User:
    user = session.scalar(select(User).where(User.username == username))
    where = f"members[{index}]"
    if user is None:
        zh = f"用户 {username} 不存在"
        raise InvalidInput(zh_en(zh, f"no user '{username}'"), field=where, zh=zh)
    roles = set(session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
    if "agency" not in roles:
        zh = f"用户 {username} 不是服务机构用户"
        raise InvalidInput(zh_en(zh, f"'{username}' lacks the role agency"), field=where, zh=zh)
    if session.scalar(select(AgencyMember.id).where(AgencyMember.user_id == user.id)) is not None:
        zh = f"用户 {username} 已是其他服务机构的成员"
        raise Conflict(zh_en(zh, f"user '{username}' already acts for an agency"), field=where, zh=zh)
    return user


def register_agency(session: Session, actor: Principal, spec: AgencyIn) -> AgencyOut:
    """Register an agency in a region of the actor's scope (regulator or admin), with its members."""
    require_role(actor, "regulator")
    require_region(session, actor, spec.region_code)
    try:
        code = validate_credit_code(spec.credit_code)
    except InvalidInput as exc:
        zh = f"统一社会信用代码无效：{exc.zh}" if exc.zh else "统一社会信用代码无效"
        raise InvalidInput(zh_en(zh, f"invalid credit code: {exc.message}"), field="credit_code", zh=zh) from None
    if session.scalar(select(Agency.id).where(Agency.credit_code == code)) is not None:
        zh = f"统一社会信用代码为 {code} 的服务机构已登记"
        en = f"an agency with credit code {code} is already registered"
        raise Conflict(zh_en(zh, en), field="credit_code", zh=zh)
    qualifications = [q for q in (item.strip() for item in spec.qualifications) if q]
    agency = Agency(
        name=spec.name,
        credit_code=code,
        region_code=spec.region_code,
        qualifications=qualifications,
        contact=spec.contact,
    )
    session.add(agency)
    session.flush()
    for index, username in enumerate(spec.members):
        user = _member_user(session, username, index)
        session.add(AgencyMember(agency_id=agency.id, user_id=user.id))
    session.flush()
    out = agency_out(session, agency)
    append_audit(session, actor.username, "agency.register", "agency", agency.id, None, out.model_dump(mode="json"))
    return out


def assign_enterprise(session: Session, actor: Principal, agency_id: int, credit_code: str) -> AgencyOut:
    """Assign the agency to an enterprise the actor (regulator) may write; each member gets access to it."""
    require_role(actor, "regulator")
    agency = get_agency(session, actor, agency_id)
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    taken = select(AgencyEnterprise.id).where(
        AgencyEnterprise.agency_id == agency.id, AgencyEnterprise.enterprise_id == enterprise.id
    )
    if session.scalar(taken) is not None:
        zh = f"该服务机构已指派给企业 {enterprise.credit_code}"
        en = f"agency {agency.id} is already assigned to {enterprise.credit_code}"
        raise Conflict(zh_en(zh, en), field="credit_code", zh=zh)
    session.add(AgencyEnterprise(agency_id=agency.id, enterprise_id=enterprise.id))
    members = list(session.scalars(select(AgencyMember.user_id).where(AgencyMember.agency_id == agency.id)))
    for user_id in members:
        exists = select(AgencyAssignment.id).where(
            AgencyAssignment.user_id == user_id, AgencyAssignment.enterprise_id == enterprise.id
        )
        if session.scalar(exists) is None:
            session.add(AgencyAssignment(user_id=user_id, enterprise_id=enterprise.id))
    session.flush()
    append_audit(
        session, actor.username, "agency.assign_enterprise", "agency", agency.id, None, {"enterprise": credit_code}
    )
    return agency_out(session, agency)


def _pct(part: int, whole: int) -> float | None:
    return round(part / whole * 100.0, 4) if whole else None


def evaluate_agency(session: Session, actor: Principal, agency_id: int, year: int | None = None) -> AgencyEvaluation:
    """Quality, timeliness and feedback of the agency's reports (of ``year`` when given)."""
    agency = get_agency(session, actor, agency_id)
    query = select(AuditReport).where(AuditReport.agency_id == agency.id)
    if year is not None:
        query = query.where(AuditReport.year == year)
    reports = list(session.scalars(query))
    filed = [r for r in reports if r.submitted_at is not None]
    accepted = sum(1 for r in reports if r.state == "accepted")
    returned = sum(1 for r in reports if r.state == "returned")
    dated = [r for r in filed if r.due_date is not None]
    timely = sum(1 for r in dated if r.submitted_at and r.due_date and to_local(r.submitted_at).date() <= r.due_date)
    scores = [r.feedback_score for r in reports if r.feedback_score is not None]
    return AgencyEvaluation(
        agency_id=agency.id,
        name=agency.name,
        year=year,
        filed=len(filed),
        accepted=accepted,
        returned=returned,
        quality_pct=_pct(accepted, accepted + returned),
        timely=timely,
        with_due_date=len(dated),
        timeliness_pct=_pct(timely, len(dated)),
        feedback_count=len(scores),
        feedback_mean=round(sum(scores) / len(scores), 4) if scores else None,
    )
