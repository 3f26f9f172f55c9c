"""Energy audit (能源审计, GB/T 17166) and diagnosis (节能诊断) reports: filing, submission, acceptance (验收).

States (``AuditReport.state``)::

    draft ──submit──▶ submitted ──acceptance, every item passed──▶ accepted
      ▲                   │
      └──(edit)── returned ◀──acceptance with a failed item, or return with a reason

* Filing (create, edit, submit): the enterprise's assigned agency members, the enterprise's own users, a
  regulator over it. A report filed by an agency member records the agency (for its evaluation).
* Acceptance and return: a regulator whose region covers the enterprise. The checklist items are stored,
  each passed or failed with a note.
* Submission checks the filing rules of a policy pack (default :data:`FILING_RULES_PACK`): a diagnosis needs
  at least the pack's number of implementable proposals (Shanghai: ≥ 2), an audit at least the pack's
  potential % (Shanghai: ≥ 5 %), potential = Σ measures' tce/a ÷ the audit period's consumption × 100.
  Nothing here knows those numbers: they are the pack's ``requirements``.
* A measure's payback (静态投资回收期, years) = investment ÷ (tce/a × energy price 元/tce) when the price is
  given; otherwise the entered payback is kept.
* A measure may cite a catalogue technology (``technology_code``, 节能技术推荐目录); an unknown code is a 422
  naming ``measures[i].technology_code``. The catalogue is the equipment subject's table, read here by name
  (``technology``: code, name) as the foreign key already names it: the equipment subject sits above this one.
* A report of an enterprise outside the filing pack's obligation for its kind (its audit period's consumption
  fails the rule's condition, e.g. Shanghai's audit rule ``5000 tce/a ≤ annual_energy_tce``) is accepted as a
  voluntary report and carries ``obligation_note`` (zh and en) naming the rule, its clause and the figure.

Every change claims the report's ``lock_version`` (two simultaneous decisions: one wins, the other gets a
409) and is written to the audit log.
"""

from __future__ import annotations

import math
from functools import cache

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from dualcarbon.audits.models import AcceptanceItem, Agency, AuditMeasure, AuditReport
from dualcarbon.audits.schemas import (
    AcceptanceIn,
    AuditReportIn,
    AuditReportOut,
    BalanceLine,
    ChecklistItemOut,
    MeasureIn,
    MeasureOut,
    ObligationNote,
)
from dualcarbon.audits.service_agencies import agency_of_user
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, zh_en
from dualcarbon.core.vocab import AUDIT_KIND_ZH, AUDIT_STATE_ZH, PROJECT_TYPE_ZH
from dualcarbon.domain.obligations import evaluate_rule
from dualcarbon.reference.policy import PolicyPack, load_pack
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import (
    can_access_enterprise,
    can_write_enterprise_data,
    enterprise_filter,
    region_in_scope,
    require_enterprise,
)
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

#: The pack whose filing requirements apply when the caller names none (Shanghai's 百一 plan is the one
#: among the shipped packs that states them).
FILING_RULES_PACK = "shanghai-baiyi-2022"
OBLIGATION_OF_KIND = {"audit": "energy_audit", "diagnosis": "energy_saving_diagnosis"}
EDITABLE = ("draft", "returned")
#: the technology catalogue (equipment subject), read by name: code and name only
TECHNOLOGY = table("technology", column("code"), column("name"))


@cache
def filing_pack(pack_id: str = FILING_RULES_PACK) -> PolicyPack:
    """A shipped pack, parsed once per process (packs ship with the code)."""
    return load_pack(pack_id)


def obligation_note(report: AuditReport, policy: PolicyPack | None = None) -> ObligationNote | None:
    """The note of a report whose enterprise is outside every rule of the pack for its kind, by its audit
    period's consumption (``baseline_energy_tce`` as ``annual_energy_tce``); None when a rule applies, is
    undetermined, the pack has no such rule, or no consumption was given."""
    if report.baseline_energy_tce is None:
        return None
    policy = policy or filing_pack()
    facts = {"annual_energy_tce": report.baseline_energy_tce}
    findings = [
        evaluate_rule(policy, rule, facts)
        for rule in policy.obligations
        if rule.obligation == OBLIGATION_OF_KIND[report.kind] and rule.subject == "energy_using_unit"
    ]
    if not findings or any(f.status != "does_not_apply" for f in findings):
        return None
    finding = findings[0]
    failed = next(c for c in finding.checks if c.met is False)
    document = finding.source.document or policy.document.number or policy.id
    kind_zh = AUDIT_KIND_ZH[report.kind]
    value = report.baseline_energy_tce
    return ObligationNote(
        pack_id=policy.id,
        rule_id=finding.rule_id,
        document=document,
        clause=finding.source.clause,
        condition=failed.condition,
        baseline_energy_tce=value,
        text_zh=(
            f"该企业审计期综合能耗 {value:,.2f} tce，不满足{document}“{finding.title_zh}”的条件（{failed.condition}），"
            f"不属于该{kind_zh}义务范围；本报告按自愿开展受理。"
        ),
        text_en=(
            f"The enterprise's consumption in the audit period, {value:,.2f} tce, fails the condition of {document} "
            f"rule {finding.rule_id} ({failed.condition}): it is outside this obligation, and the report is "
            "accepted as a voluntary one."
        ),
    )


def technology_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Code → name of the catalogue technologies among ``codes``."""
    if not codes:
        return {}
    rows = session.execute(select(TECHNOLOGY.c.code, TECHNOLOGY.c.name).where(TECHNOLOGY.c.code.in_(codes)))
    return {code: name for code, name in rows}


def technology_choices(session: Session, actor: Principal, limit: int = 2000) -> dict[str, str]:
    """Code → "code name" of the catalogue, for a measure's technology picker (any signed-in user reads it)."""
    rows = session.execute(select(TECHNOLOGY.c.code, TECHNOLOGY.c.name).order_by(TECHNOLOGY.c.code).limit(limit))
    return {code: f"{code} {name}" for code, name in rows}


def _check_technologies(session: Session, spec: AuditReportIn) -> None:
    codes = {m.technology_code for m in spec.measures if m.technology_code}
    known = technology_names(session, codes)
    for index, measure in enumerate(spec.measures):
        if measure.technology_code and measure.technology_code not in known:
            zh = f"技术目录中没有编号为 {measure.technology_code} 的技术"
            en = f"no technology '{measure.technology_code}' in the catalogue (GET /api/v1/technologies?q=… lists them)"
            raise InvalidInput(zh_en(zh, en), field=f"measures[{index}].technology_code", zh=zh)


def filing_minimum(pack: PolicyPack, kind: str) -> tuple[float, str, str, str] | None:
    """(value, unit, requirement text, its English rendering) of the pack's ``at_least`` requirement for ``kind``,
    if any (the English falls back to the Chinese where the pack has none).

    Audits: the requirement in %; diagnoses: the one counted in 项 (proposals).
    """
    unit = "%" if kind == "audit" else "项"
    for rule in pack.obligations:
        if rule.obligation != OBLIGATION_OF_KIND[kind]:
            continue
        for requirement in rule.requirements:
            if requirement.comparison == "at_least" and requirement.unit == unit and requirement.value is not None:
                return requirement.value, unit, requirement.text_zh, requirement.text_in("en")
    return None


def payback_years(measure: MeasureIn) -> float | None:
    """Investment ÷ (tce/a × 元/tce) when the price is given, else the entered payback."""
    if measure.energy_price_yuan_per_tce is not None:
        return measure.investment_yuan / (measure.saving_tce_per_year * measure.energy_price_yuan_per_tce)
    return measure.payback_years


def potential_pct(baseline_tce: float | None, measures: list[AuditMeasure]) -> float | None:
    if not baseline_tce:
        return None
    return math.fsum(m.saving_tce_per_year for m in measures) / baseline_tce * 100.0


# ---- reading -------------------------------------------------------------------------------------------
def report_out(session: Session, report: AuditReport) -> AuditReportOut:
    enterprise = session.get(Enterprise, report.enterprise_id)
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    assert enterprise is not None
    names = technology_names(session, {m.technology_code for m in report.measures if m.technology_code})
    return AuditReportOut(
        id=report.id,
        kind=report.kind,
        kind_zh=AUDIT_KIND_ZH[report.kind],
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        agency_id=report.agency_id,
        agency_name=agency.name if agency else None,
        year=report.year,
        title=report.title,
        state=report.state,
        state_zh=AUDIT_STATE_ZH[report.state],
        baseline_energy_tce=report.baseline_energy_tce,
        potential_pct=report.potential_pct,
        balance=[BalanceLine.model_validate(line) for line in report.balance or []],
        measures=[
            MeasureOut(
                id=m.id,
                position=m.position,
                description=m.description,
                project_type=m.project_type,
                project_type_zh=PROJECT_TYPE_ZH.get(m.project_type, m.project_type),
                investment_yuan=m.investment_yuan,
                saving_tce_per_year=m.saving_tce_per_year,
                saving_tco2_per_year=m.saving_tco2_per_year,
                energy_price_yuan_per_tce=m.energy_price_yuan_per_tce,
                payback_years=m.payback_years,
                implementable=m.implementable,
                technology_code=m.technology_code,
                technology_name=names.get(m.technology_code) if m.technology_code else None,
            )
            for m in report.measures
        ],
        checklist=[
            ChecklistItemOut(
                item=c.item, passed=c.passed, note=c.note, checked_by=c.checked_by, checked_at=c.checked_at.isoformat()
            )
            for c in report.checklist
        ],
        due_date=report.due_date,
        submitted_at=report.submitted_at.isoformat() if report.submitted_at else None,
        decided_at=report.decided_at.isoformat() if report.decided_at else None,
        return_reason=report.return_reason,
        feedback_score=report.feedback_score,
        lock_version=report.lock_version,
        obligation_note=obligation_note(report),
    )


def load_report(session: Session, actor: Principal, report_id: int) -> AuditReport:
    """The report if the actor may read its enterprise; NotFound otherwise (existence not revealed)."""
    report = session.get(AuditReport, report_id)
    enterprise = session.get(Enterprise, report.enterprise_id) if report is not None else None
    if report is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        zh = "未找到该报告，或您无权查看"
        raise NotFound(zh_en(zh, f"audit report {report_id} not found"), field="report_id", zh=zh)
    return report


def get_report(session: Session, actor: Principal, report_id: int) -> AuditReportOut:
    return report_out(session, load_report(session, actor, report_id))


def list_reports(
    session: Session,
    actor: Principal,
    *,
    year: int | None = None,
    kind: str | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditReportOut], int]:
    query = select(AuditReport).join(Enterprise, Enterprise.id == AuditReport.enterprise_id)
    query = query.where(enterprise_filter(actor))
    if year is not None:
        query = query.where(AuditReport.year == year)
    if kind is not None:
        query = query.where(AuditReport.kind == kind)
    if state is not None:
        query = query.where(AuditReport.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditReport.id.desc()).limit(limit).offset(offset))
    return [report_out(session, r) for r in rows], total


# ---- filing --------------------------------------------------------------------------------------------
def _set_content(session: Session, report: AuditReport, spec: AuditReportIn) -> None:
    _check_technologies(session, spec)
    report.title = spec.title
    report.baseline_energy_tce = spec.baseline_energy_tce
    report.balance = [line.model_dump(mode="json") for line in spec.balance]
    report.due_date = spec.due_date
    report.measures = [
        AuditMeasure(
            position=index + 1,
            description=m.description,
            project_type=m.project_type,
            investment_yuan=m.investment_yuan,
            saving_tce_per_year=m.saving_tce_per_year,
            saving_tco2_per_year=m.saving_tco2_per_year,
            energy_price_yuan_per_tce=m.energy_price_yuan_per_tce,
            payback_years=payback_years(m),
            implementable=m.implementable,
            technology_code=m.technology_code,
        )
        for index, m in enumerate(spec.measures)
    ]
    report.potential_pct = potential_pct(report.baseline_energy_tce, report.measures)


def create_report(session: Session, actor: Principal, spec: AuditReportIn) -> AuditReportOut:
    """A new draft report for an enterprise the actor may write (agency, enterprise or regulator)."""
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    agency = agency_of_user(session, actor)
    report = AuditReport(
        kind=spec.kind,
        enterprise_id=enterprise.id,
        agency_id=agency.id if agency else None,
        year=spec.year,
        state="draft",
        created_by=actor.user_id,
    )
    _set_content(session, report, spec)
    session.add(report)
    session.flush()
    out = report_out(session, report)
    append_audit(session, actor.username, "audit_report.create", "audit_report", report.id, None, _summary(report))
    return out


def update_report(
    session: Session, actor: Principal, report_id: int, spec: AuditReportIn, *, lock_version: int | None = None
) -> AuditReportOut:
    """Replace the content of a draft or returned report (kind, enterprise and year stay)."""
    report = load_report(session, actor, report_id)
    _require_writer(session, actor, report)
    _check_state(report, "edit", EDITABLE)
    _check_seen(report, lock_version)
    if spec.kind != report.kind or spec.year != report.year:
        zh = "已填报报告的类型和年度不能修改，请另行填报新报告"
        en = "kind and year of a filed report cannot change; file a new report"
        raise InvalidInput(zh_en(zh, en), field="kind" if spec.kind != report.kind else "year", zh=zh)
    before = _summary(report)
    claim_row(session, report, what=f"audit report {report.id}")
    _set_content(session, report, spec)
    session.flush()
    append_audit(session, actor.username, "audit_report.update", "audit_report", report.id, before, _summary(report))
    return report_out(session, report)


def submit_report(
    session: Session,
    actor: Principal,
    report_id: int,
    *,
    pack: str | PolicyPack = FILING_RULES_PACK,
    lock_version: int | None = None,
) -> AuditReportOut:
    """Submit for acceptance after checking the pack's filing minimum (Chinese message naming the rule)."""
    report = load_report(session, actor, report_id)
    _require_writer(session, actor, report)
    _check_state(report, "submit", EDITABLE)
    _check_seen(report, lock_version)
    policy = pack if isinstance(pack, PolicyPack) else load_pack(pack)
    _check_minimum(report, policy)
    claim_row(session, report, what=f"audit report {report.id}")
    before = {"state": report.state}
    report.state = "submitted"
    if report.submitted_at is None:  # timeliness counts the first submission
        report.submitted_at = utcnow()
    report.return_reason = None
    append_audit(session, actor.username, "audit_report.submit", "audit_report", report.id, before, _summary(report))
    return report_out(session, report)


def _check_minimum(report: AuditReport, policy: PolicyPack) -> None:
    minimum = filing_minimum(policy, report.kind)
    if minimum is None:
        return
    value, unit, text, text_en = minimum
    source_zh = f"（{policy.document.number or policy.id}：{text}）"
    # (a pack without the English rendering: the English half names the pack only, no Chinese inside it)
    source_en = f"(policy pack {policy.id}: {text_en})" if text_en != text else f"(policy pack {policy.id})"
    if report.kind == "diagnosis":
        count = sum(1 for m in report.measures if m.implementable)
        if count < value:
            zh = f"节能诊断报告须至少提出 {value:g} 项可实施的节能改造方案，本报告只有 {count} 项{source_zh}"
            en = (
                f"a diagnosis report needs at least {value:g} implementable proposals, this one has {count} {source_en}"
            )
            raise InvalidInput(zh_en(zh, en), field="measures", zh=zh)
        return
    if report.potential_pct is None:
        zh = "能源审计报告须填写审计期综合能耗（tce），以计算节能潜力"
        en = "an energy audit report needs the audit period's energy consumption (tce) to compute its potential"
        raise InvalidInput(zh_en(zh, en), field="baseline_energy_tce", zh=zh)
    if report.potential_pct < value:
        zh = f"能源审计报告的节能潜力须不少于 {value:g}{unit}，本报告为 {report.potential_pct:.2f}{unit}{source_zh}"
        en = (
            f"an energy audit report needs a saving potential of at least {value:g} {unit}, this one has "
            f"{report.potential_pct:.2f} {unit} {source_en}"
        )
        raise InvalidInput(zh_en(zh, en), field="measures", zh=zh)


# ---- the regulator's decision --------------------------------------------------------------------------
def accept_report(session: Session, actor: Principal, report_id: int, spec: AcceptanceIn) -> AuditReportOut:
    """验收: store the checklist; every item passed → accepted, any failed → returned with those items."""
    report = load_report(session, actor, report_id)
    _require_regulator(session, actor, report)
    _check_state(report, "acceptance", ("submitted",))
    _check_seen(report, spec.lock_version)
    claim_row(session, report, what=f"audit report {report.id}")
    now = utcnow()
    for item in spec.checklist:
        report.checklist.append(
            AcceptanceItem(
                item=item.item, passed=item.passed, note=item.note, checked_by=actor.username, checked_at=now
            )
        )
    failed = [item for item in spec.checklist if not item.passed]
    before = {"state": report.state}
    report.decided_at = now
    if failed:
        report.state = "returned"
        report.return_reason = "；".join(f"{i.item}：{i.note or '未通过'}" for i in failed)
    else:
        report.state = "accepted"
        report.return_reason = None
    session.flush()
    after = _summary(report) | {"checklist": [i.model_dump() for i in spec.checklist]}
    append_audit(session, actor.username, "audit_report.acceptance", "audit_report", report.id, before, after)
    return report_out(session, report)


def return_report(
    session: Session, actor: Principal, report_id: int, reason: str, *, lock_version: int | None = None
) -> AuditReportOut:
    report = load_report(session, actor, report_id)
    _require_regulator(session, actor, report)
    _check_state(report, "return", ("submitted",))
    _check_seen(report, lock_version)
    claim_row(session, report, what=f"audit report {report.id}")
    before = {"state": report.state}
    report.state = "returned"
    report.return_reason = reason
    report.decided_at = utcnow()
    append_audit(session, actor.username, "audit_report.return", "audit_report", report.id, before, _summary(report))
    return report_out(session, report)


def record_feedback(session: Session, actor: Principal, report_id: int, score: int) -> AuditReportOut:
    """The enterprise's score (1-5) of the agency's service on an accepted or returned report."""
    report = load_report(session, actor, report_id)
    if not actor.is_admin and report.enterprise_id not in {
        g.enterprise_id for g in actor.grants if g.role == "enterprise"
    }:
        zh = "只有本企业的用户可以评价服务机构的服务"
        raise PermissionDenied(zh_en(zh, "only the enterprise's own users score the agency's service"), zh=zh)
    _check_state(report, "feedback", ("accepted", "returned"))
    if isinstance(score, bool) or not 1 <= score <= 5:
        zh = "评分须为 1-5 的整数"
        raise InvalidInput(zh_en(zh, "score must be a whole number from 1 to 5"), field="score", zh=zh)
    claim_row(session, report, what=f"audit report {report.id}")
    before = {"feedback_score": report.feedback_score}
    report.feedback_score = score
    append_audit(session, actor.username, "audit_report.feedback", "audit_report", report.id, before, {"score": score})
    return report_out(session, report)


# ---- helpers -------------------------------------------------------------------------------------------
def _summary(report: AuditReport) -> dict[str, object]:
    return {
        "kind": report.kind,
        "enterprise_id": report.enterprise_id,
        "agency_id": report.agency_id,
        "year": report.year,
        "state": report.state,
        "measures": len(report.measures),
        "potential_pct": report.potential_pct,
    }


def _require_writer(session: Session, actor: Principal, report: AuditReport) -> None:
    enterprise = session.get(Enterprise, report.enterprise_id)
    if enterprise is None or not can_write_enterprise_data(session, actor, enterprise):
        zh = "只有本企业、其服务机构或所在地区主管部门可以修改该报告"
        en = "only the enterprise, its agency or its regulator may change this report"
        raise PermissionDenied(zh_en(zh, en), zh=zh)


def _require_regulator(session: Session, actor: Principal, report: AuditReport) -> None:
    enterprise = session.get(Enterprise, report.enterprise_id)
    if actor.is_admin or (enterprise is not None and region_in_scope(session, actor, enterprise.region_code)):
        return
    zh = "验收须由企业所在地区的监管部门进行"
    raise PermissionDenied(zh_en(zh, "acceptance needs the regulator of the enterprise's region"), zh=zh)


_ACTION_ZH = {"edit": "修改", "submit": "提交", "acceptance": "验收", "return": "退回", "feedback": "评价"}


def _check_state(report: AuditReport, action: str, allowed: tuple[str, ...]) -> None:
    if report.state not in allowed:
        wanted = "/".join(allowed)
        zh = f"报告当前状态为{AUDIT_STATE_ZH[report.state]}，不能{_ACTION_ZH.get(action, action)}"
        en = f"report {report.id} is {report.state}; {action} needs {wanted}"
        raise Conflict(zh_en(zh, en), field="state", zh=zh)


def _check_seen(report: AuditReport, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != report.lock_version:
        zh = f"报告 {report.id} 已被他人修改（当前版本 {report.lock_version}，您加载的是 {lock_version}），请刷新后重试"
        en = (
            f"audit report {report.id} was changed by someone else meanwhile (version {report.lock_version}, "
            f"you loaded {lock_version}); reload it and try again"
        )
        raise Conflict(zh_en(zh, en), field="lock_version", zh=zh)
