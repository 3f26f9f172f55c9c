"""Subsidy applications (补贴申请): apply against a pack's money rule with evidence; read them with scope.

Applying: the facts the evidence gives (:mod:`.service_evidence`) plus the facts the applicant declares for
what no evidence gives (a declared fact may not override one the evidence gives), evaluated as the
``calc subsidy`` contract does (:func:`dualcarbon.domain.rules.evaluate_incentive` — the pack's eligibility,
amount, caps, trace).
Two more trace lines come first: the pack is in force on the evidence's date, and where each fact came from.
Every cap is given what was already granted in its scope (approved and paid applications under the rule or its
cap group; :mod:`.service_caps`), each cap a trace line naming what it counted and what remains; approval counts
again under a lock. The evidence's claim keys are taken at once: a second application on the
same project, report, designation or kWh month is refused (unique key; a race loses with 409).

Who may apply: for an enterprise, whoever may write its data; for an agency, its members (and regulators of
its region). Reading: the enterprise's readers, the agency's members, regulators and reviewers of the region.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.audits.models import Agency
from dualcarbon.audits.service_agencies import agency_of_user
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.domain.rules import evaluate_incentive
from dualcarbon.domain.rules_zh import fact_zh, source_zh
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import can_write_enterprise_data, enterprise_filter, region_in_scope
from dualcarbon.store.audit import append_audit
from dualcarbon.subsidies import service_caps
from dualcarbon.subsidies.models import SubsidyApplication, SubsidyClaim, SubsidyPayment
from dualcarbon.subsidies.schemas import EVIDENCE_ZH, STATE_ZH, ApplicationIn, ApplicationOut, PaymentOut
from dualcarbon.subsidies.service_caps import CapHolder, annotate, granted_facts, project_cap_lines, subject_of
from dualcarbon.subsidies.service_evidence import Applicant, evidence_facts, find_applicant

GRANTED_STATES = service_caps.GRANTED_STATES  # approved and paid: what caps count


def _applicant_for_write(session: Session, actor: Principal, credit_code: str) -> Applicant:
    applicant = find_applicant(session, credit_code)
    if applicant is None:
        raise NotFound(f"applicant {credit_code} not found").at("credit_code")
    if applicant.enterprise is not None:
        if not can_write_enterprise_data(session, actor, applicant.enterprise):
            if not _can_read_enterprise(session, actor, applicant.enterprise.id):
                raise NotFound(f"applicant {credit_code} not found").at("credit_code")
            raise PermissionDenied("your role may not apply for this enterprise")
        return applicant
    assert applicant.agency is not None
    mine = agency_of_user(session, actor)
    if actor.is_admin or (mine is not None and mine.id == applicant.agency.id):
        return applicant
    if region_in_scope(session, actor, applicant.region_code):
        return applicant
    raise NotFound(f"applicant {credit_code} not found").at("credit_code")


def _can_read_enterprise(session: Session, actor: Principal, enterprise_id: int) -> bool:
    return (
        session.scalar(select(Enterprise.id).where(Enterprise.id == enterprise_id, enterprise_filter(actor)))
        is not None
    )


def visible_filter(session: Session, actor: Principal) -> ColumnElement[bool]:
    """SQL condition on applications the actor may read."""
    if actor.is_admin:
        return true()
    conditions: list[ColumnElement[bool]] = [
        SubsidyApplication.enterprise_id.in_(select(Enterprise.id).where(enterprise_filter(actor)))
    ]
    mine = agency_of_user(session, actor)
    if mine is not None:
        conditions.append(SubsidyApplication.agency_id == mine.id)
    for root in actor.region_roots("regulator", "reviewer"):
        conditions.append(in_region_subtree(SubsidyApplication.region_code, root))  # type: ignore[arg-type]
    if actor.is_unscoped_reviewer():
        conditions.append(true())
    return or_(*conditions) if conditions else false()


def load_application(session: Session, actor: Principal, application_id: int) -> SubsidyApplication:
    row = session.scalar(
        select(SubsidyApplication).where(SubsidyApplication.id == application_id, visible_filter(session, actor))
    )
    if row is None:
        raise NotFound(f"application {application_id} not found")
    return row


def apply(session: Session, actor: Principal, spec: ApplicationIn, reference: ReferenceSet) -> ApplicationOut:
    """File an application; its amount and trace are computed now from the evidence. Audited."""
    applicant = _applicant_for_write(session, actor, spec.credit_code)
    pack = resolve_pack(spec.pack)
    rule = pack.incentive(spec.rule)
    if rule.amount.kind == "rate_offset":
        raise InvalidInput(f"rule '{rule.key}' grants no money (it sets {rule.amount.output})", field="rule")
    found = evidence_facts(session, actor, applicant, spec.evidence, reference)
    facts = {name: value for name, value in found.facts.items() if name in rule.facts}
    sources = {name: found.sources[name] for name in facts}
    for name, value in spec.declared_facts.items():
        if name in facts:
            raise InvalidInput(
                f"'{name}' comes from the evidence ({sources[name]}); it cannot be declared",
                field=f"declared_facts.{name}",
            )
        facts[name] = value
        sources[name] = "declared by the applicant"
    holder = CapHolder(
        applicant.enterprise.id if applicant.enterprise else None, applicant.agency.id if applicant.agency else None
    )
    subject = subject_of(spec.evidence.kind, found.summary)
    granted, uses = granted_facts(session, pack, rule, holder, spec.year, subject)
    for name, value in granted.items():
        facts[name] = value
        sources[name] = "approved and paid applications (cap scope)"
    if found.on is None:
        raise InvalidInput("the evidence carries no date to check the pack's validity against", field="evidence")
    status = pack.status_on(found.on)
    window = f"{pack.valid.valid_from or '…'} – {pack.valid.valid_to or '…'}"
    validity = {
        "rule": pack.id,
        "clause": pack.valid.note or "valid",
        "condition": f"pack in force on the evidence date ({window})",
        "condition_zh": f"证明材料日期在政策有效期内（{window}）",
        "value": found.on.isoformat(),
        "passed": status == "in_force",
    }
    if status != "in_force":
        raise InvalidInput(
            f"pack {pack.id} is {status} on {found.on} (the evidence's date)",
            field="evidence",
            zh=f"证明材料日期 {found.on} 不在政策有效期内",
        )
    # the evaluation of the ``calc subsidy`` contract (its module only adds title, clause and document)
    result = evaluate_incentive(pack, rule, facts).as_dict()
    result.update(title_zh=rule.title_zh, clause=rule.source.clause, document=pack.document.title)
    result.update(title_en=rule.title_en, clause_en=rule.source.clause_en)  # our renderings; the Chinese governs
    annotate(result["trace"], uses, subject)
    if result["eligible"]:
        amount, lines = project_cap_lines(session, pack, rule, holder, spec.year, subject, result["amount_yuan"])
        result["trace"].extend(lines)
        result["amount_yuan"] = round(amount, 6)
    provenance = [
        {
            "rule": rule.id,
            "clause": "facts",
            "condition": f"{name} from {sources[name]}",
            "condition_zh": source_zh(fact_zh(rule, name), sources[name]),
            "value": facts[name],
            "passed": True,
        }
        for name in sorted(facts)
    ]
    result["trace"] = [validity, *provenance, *result["trace"]]
    row = SubsidyApplication(
        enterprise_id=applicant.enterprise.id if applicant.enterprise else None,
        agency_id=applicant.agency.id if applicant.agency else None,
        region_code=applicant.region_code,
        pack_id=pack.id,
        rule_key=rule.key,
        rule_id=rule.id,
        year=spec.year,
        evidence_kind=spec.evidence.kind,
        evidence=found.summary,
        facts=facts,
        fact_sources=sources,
        eligible=bool(result["eligible"]),
        amount_yuan=float(result["amount_yuan"]),
        result=result,
        state="submitted",
        payee=spec.payee,
        submitted_by=actor.username,
    )
    session.add(row)
    session.flush()
    _take_claims(session, row, found.claims)
    append_audit(
        session,
        actor.username,
        "subsidy.apply",
        "subsidy_application",
        row.id,
        None,
        {"pack": pack.id, "rule": rule.key, "facts": facts, "amount_yuan": row.amount_yuan, "claims": found.claims},
    )
    return application_out(session, row)


def _take_claims(session: Session, row: SubsidyApplication, claims: list[str]) -> None:
    taken = session.execute(
        select(SubsidyClaim.claim_key, SubsidyClaim.application_id).where(SubsidyClaim.claim_key.in_(claims))
    ).all()
    if taken:
        keys = ", ".join(f"{key} (application {app})" for key, app in taken)
        raise Conflict(
            f"already claimed: {keys}", field="evidence", zh=f"该项目或该时段电量已申报过补贴，不能重复申报：{keys}"
        )
    try:
        with session.begin_nested():
            session.add_all([SubsidyClaim(application_id=row.id, claim_key=key) for key in claims])
            session.flush()
    except IntegrityError:
        raise Conflict(
            "the same evidence was claimed by another application meanwhile",
            field="evidence",
            zh="该证明材料已被其他申请占用",
        ) from None


def application_out(session: Session, row: SubsidyApplication) -> ApplicationOut:
    holder = (
        session.get(Enterprise, row.enterprise_id)
        if row.enterprise_id is not None
        else session.get(Agency, row.agency_id)
    )
    claims = list(
        session.scalars(
            select(SubsidyClaim.claim_key).where(SubsidyClaim.application_id == row.id).order_by(SubsidyClaim.id)
        )
    )
    payment = session.scalar(select(SubsidyPayment).where(SubsidyPayment.application_id == row.id))
    result: dict[str, Any] = row.result
    return ApplicationOut(
        id=row.id,
        applicant_credit_code=holder.credit_code if holder else "",
        applicant_name=holder.name if holder else "",
        region_code=row.region_code,
        pack=row.pack_id,
        rule=row.rule_key,
        rule_id=row.rule_id,
        rule_title_zh=str(result.get("title_zh", "")),
        clause=str(result.get("clause", "")),
        clause_en=result.get("clause_en"),  # None for an application stored before packs had renderings
        year=row.year,
        evidence={"kind": row.evidence_kind, **row.evidence},
        evidence_kind_zh=EVIDENCE_ZH[row.evidence_kind],
        facts=row.facts,
        fact_sources=row.fact_sources,
        eligible=row.eligible,
        amount_yuan=row.amount_yuan,
        trace=list(result.get("trace", [])),
        decisions=list(result.get("decisions", [])),
        claims=claims,
        state=row.state,  # type: ignore[arg-type]
        state_zh=STATE_ZH[row.state],
        payee=row.payee,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at.isoformat(),
        decided_by=row.decided_by,
        decided_at=row.decided_at.isoformat() if row.decided_at else None,
        decision_note=row.decision_note,
        pool_id=row.pool_id,
        payment=None
        if payment is None
        else PaymentOut(
            amount_yuan=payment.amount_yuan,
            paid_on=payment.paid_on,
            voucher=payment.voucher,
            recorded_by=payment.recorded_by,
            recorded_at=payment.recorded_at.isoformat(),
        ),
        lock_version=row.lock_version,
    )


def get_application(session: Session, actor: Principal, application_id: int) -> ApplicationOut:
    return application_out(session, load_application(session, actor, application_id))


def list_applications(
    session: Session,
    actor: Principal,
    *,
    state: str | None = None,
    year: int | None = None,
    rule: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ApplicationOut], int]:
    condition = visible_filter(session, actor)
    query = select(SubsidyApplication).where(condition)
    if state:
        query = query.where(SubsidyApplication.state == state)
    if year:
        query = query.where(SubsidyApplication.year == year)
    if rule:
        query = query.where(SubsidyApplication.rule_key == rule)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(SubsidyApplication.id.desc()).limit(limit).offset(offset))
    return [application_out(session, row) for row in rows], int(total)
