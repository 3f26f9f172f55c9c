"""The project library (节能改造项目库): creating projects, reading them with scope, plans (一企一策).

A project comes from

* an accepted report's measure (``measure_id``): enterprise, type, investment and savings are the measure's;
  its deadline defaults to the report's acceptance (验收, Asia/Shanghai date) + the same N years as below
  (a measure is a commitment of the enterprise's plan, 一企一策, whose deadline the pack bounds); a later
  deadline given is kept but flagged (``deadline_beyond_policy``) the same way; it carries the catalogue
  technology the measure cites (``technology_code``, read through the measure);
* a below-baseline entry (基准以下) of a published catalog (``catalog_entry_id``), the entry it must lift;
  its deadline is at most N years after the listing (the catalog's publication, Asia/Shanghai date), N the
  policy pack parameter :data:`DEADLINE_PARAMETER` of :data:`DEADLINE_PACK` (Yunnan: 3 years). The pack says
  "一般不超过" (as a rule): a later deadline is kept but flagged (``deadline_beyond_policy``), not refused;
* or direct entry (``credit_code``).

Every project joins its enterprise's plan (一企一策), created on the first project. Reading: the caller's
enterprises (own, assigned as agency, region as regulator); anything else is not found. Writing: those who
may write the enterprise's data (its users, its agency, its regulator). Every change is audited.
"""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dualcarbon.audits.models import AuditMeasure, AuditReport
from dualcarbon.audits.service_reports import technology_names
from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, zh_en
from dualcarbon.core.localtime import to_local
from dualcarbon.core.vocab import PROJECT_ORIGIN_ZH, PROJECT_STATE_ZH, PROJECT_TYPE_ZH
from dualcarbon.projects.models import ProjectMilestone, RetrofitPlan, RetrofitProject
from dualcarbon.projects.schemas import DocumentOut, MilestoneOut, PlanIn, PlanOut, ProjectIn, ProjectOut
from dualcarbon.reference.policy import PolicyPack, load_pack
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import (
    can_access_enterprise,
    can_write_enterprise_data,
    enterprise_filter,
    require_enterprise,
)
from dualcarbon.store.audit import append_audit

DEADLINE_PACK = "yunnan-2022"
DEADLINE_PARAMETER = "yunnan.retrofit.deadline_years_max"


def deadline_years_max(pack: str | PolicyPack = DEADLINE_PACK) -> int:
    """The most years between listing and deadline for a below-baseline unit (the pack's parameter)."""
    policy = pack if isinstance(pack, PolicyPack) else load_pack(pack)
    value = policy.parameter(DEADLINE_PARAMETER)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or value != math.floor(value):
        zh = f"政策包参数 {DEADLINE_PARAMETER} 须为正整数年数"
        en = f"{DEADLINE_PARAMETER} must be a whole number of years"
        raise InvalidInput(zh_en(zh, en), field="parameter", zh=zh)
    return int(value)


#: What a deadline's general term counts from, for the deadline note: (Chinese, English).
DEADLINE_SINCE = {
    "listing": ("列入基准以下清单", "the listing below the baseline"),
    "acceptance": ("诊断/审计报告验收", "the acceptance of the audit report"),
}


def deadline_note(deadline: date, since: date, what: str, years: int, latest: date) -> tuple[str, str]:
    """The note on a deadline later than the pack's general term (kept, flagged, a reason to be given):
    (Chinese, English); ``what`` is a key of :data:`DEADLINE_SINCE`."""
    what_zh, what_en = DEADLINE_SINCE[what]
    zh = f"改造期限 {deadline} 超过{what_zh}（{since}）后 {years} 年的一般期限 {latest}，须说明理由"
    en = (
        f"the deadline {deadline} is later than the general term of {years} years after {what_en} ({since}), "
        f"{latest}; give the reason"
    )
    return zh, en


def add_years(start: date, years: int) -> date:
    """``start`` moved ``years`` calendar years on (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


# ---- reading -------------------------------------------------------------------------------------------
def project_out(session: Session, project: RetrofitProject, notes: list[tuple[str, str]] | None = None) -> ProjectOut:
    """The project as answered; ``notes`` (Chinese, English) become ``warnings`` and ``warnings_en``."""
    enterprise = session.get(Enterprise, project.enterprise_id)
    assert enterprise is not None
    # a measure's project carries the catalogue technology the measure cites (read through the measure)
    measure = session.get(AuditMeasure, project.measure_id) if project.measure_id else None
    technology = measure.technology_code if measure else None
    return ProjectOut(
        id=project.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        plan_id=project.plan_id,
        name=project.name,
        project_type=project.project_type,
        project_type_zh=PROJECT_TYPE_ZH.get(project.project_type, project.project_type),
        origin=project.origin,  # type: ignore[arg-type]
        origin_zh=PROJECT_ORIGIN_ZH.get(project.origin, project.origin),
        measure_id=project.measure_id,
        technology_code=technology,
        technology_name=technology_names(session, {technology}).get(technology) if technology else None,
        catalog_entry_id=project.catalog_entry_id,
        listed_on=project.listed_on,
        investment_yuan=project.investment_yuan,
        saving_tce_per_year=project.saving_tce_per_year,
        saving_tco2_per_year=project.saving_tco2_per_year,
        start_date=project.start_date,
        deadline=project.deadline,
        deadline_beyond_policy=project.deadline_beyond_policy,
        completed_on=project.completed_on,
        state=project.state,
        state_zh=PROJECT_STATE_ZH[project.state],
        demonstration=project.demonstration,
        verified_tce_per_year=project.verified_tce_per_year,
        milestones=[
            MilestoneOut(id=m.id, name=m.name, due=m.due, done=m.done, done_on=m.done_on) for m in project.milestones
        ],
        documents=[
            DocumentOut(
                id=d.id,
                filename=d.filename,
                sha256=d.sha256,
                size_bytes=d.size_bytes,
                uploaded_by=d.uploaded_by,
                uploaded_at=d.uploaded_at.isoformat(),
            )
            for d in project.documents
        ],
        warnings=[zh for zh, _ in notes or []],
        warnings_en=[en for _, en in notes or []],
        lock_version=project.lock_version,
    )


def load_project(session: Session, actor: Principal, project_id: int, *, write: bool = False) -> RetrofitProject:
    """The project if the actor may read (write) its enterprise; NotFound when out of read scope."""
    project = session.get(RetrofitProject, project_id)
    enterprise = session.get(Enterprise, project.enterprise_id) if project else None
    if project is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        zh = "未找到该项目，或您无权查看"
        raise NotFound(zh_en(zh, f"project {project_id} not found"), field="project_id", zh=zh)
    if write and not can_write_enterprise_data(session, actor, enterprise):
        zh = "只有本企业、其服务机构或所在地区主管部门可以修改该项目"
        en = "only the enterprise, its agency or its regulator may change this project"
        raise PermissionDenied(zh_en(zh, en), zh=zh)
    return project


def get_project(session: Session, actor: Principal, project_id: int) -> ProjectOut:
    """One project, with the deadline note again when its deadline is flagged (lists leave notes out)."""
    project = load_project(session, actor, project_id)
    return project_out(session, project, _deadline_notes(session, project))


def _deadline_notes(session: Session, project: RetrofitProject) -> list[tuple[str, str]]:
    """The deadline note of a flagged project, derived again from its listing or its report's acceptance and
    the pack's years; none when the pack's term now covers the deadline."""
    if not project.deadline_beyond_policy or project.deadline is None:
        return []
    if project.listed_on is not None:
        since, what = project.listed_on, "listing"
    else:
        measure = session.get(AuditMeasure, project.measure_id) if project.measure_id else None
        report = session.get(AuditReport, measure.report_id) if measure else None
        if report is None or report.decided_at is None:
            return []
        since, what = to_local(report.decided_at).date(), "acceptance"
    years = deadline_years_max()
    latest = add_years(since, years)
    return [deadline_note(project.deadline, since, what, years, latest)] if project.deadline > latest else []


def list_projects(
    session: Session,
    actor: Principal,
    *,
    state: str | None = None,
    project_type: str | None = None,
    region_code: str | None = None,
    credit_code: str | None = None,
    demonstration: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ProjectOut], int]:
    query = select(RetrofitProject).join(Enterprise, Enterprise.id == RetrofitProject.enterprise_id)
    conditions: list[ColumnElement[bool]] = [enterprise_filter(actor)]
    if state:
        conditions.append(RetrofitProject.state == state)
    if project_type:
        conditions.append(RetrofitProject.project_type == project_type)
    if region_code:
        conditions.append(in_region_subtree(Enterprise.region_code.expression, region_code))
    if credit_code:
        conditions.append(Enterprise.credit_code == credit_code.strip().upper())
    if demonstration is not None:
        conditions.append(RetrofitProject.demonstration.is_(demonstration))
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(RetrofitProject.id).limit(limit).offset(offset))
    return [project_out(session, p) for p in rows], total


# ---- creating ------------------------------------------------------------------------------------------
def _measure(session: Session, actor: Principal, measure_id: int) -> tuple[AuditMeasure, Enterprise, date | None]:
    measure = session.get(AuditMeasure, measure_id)
    report = session.get(AuditReport, measure.report_id) if measure else None
    enterprise = session.get(Enterprise, report.enterprise_id) if report else None
    if measure is None or report is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        zh = "未找到该节能措施，或您无权查看"
        raise NotFound(zh_en(zh, f"measure {measure_id} not found"), field="measure_id", zh=zh)
    if report.state != "accepted":
        zh = "措施所在报告尚未验收"
        en = f"the report of measure {measure_id} is not accepted"
        raise Conflict(zh_en(zh, en), field="measure_id", zh=zh)
    if session.scalar(select(RetrofitProject.id).where(RetrofitProject.measure_id == measure_id)) is not None:
        zh = "该节能措施已建有改造项目"
        raise Conflict(zh_en(zh, f"measure {measure_id} already has a project"), field="measure_id", zh=zh)
    accepted_on = to_local(report.decided_at).date() if report.decided_at else None
    return measure, enterprise, accepted_on


def _entry(session: Session, actor: Principal, entry_id: int) -> tuple[CatalogEntry, Enterprise, date]:
    entry = session.get(CatalogEntry, entry_id)
    enterprise = session.get(Enterprise, entry.enterprise_id) if entry else None
    if entry is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        zh = "未找到该清单条目，或您无权查看"
        raise NotFound(zh_en(zh, f"catalog entry {entry_id} not found"), field="catalog_entry_id", zh=zh)
    catalog = session.get(Catalog, entry.catalog_id)
    if catalog is None or catalog.published_at is None:
        zh = "该清单条目所在的目录尚未发布"
        en = f"catalog entry {entry_id} is not in a published catalog"
        raise Conflict(zh_en(zh, en), field="catalog_entry_id", zh=zh)
    if entry.tier != "below_baseline":
        zh = f"清单条目 {entry_id} 不在基准水平以下"
        en = f"catalog entry {entry_id} is not below the baseline (tier {entry.tier})"
        raise InvalidInput(zh_en(zh, en), field="catalog_entry_id", zh=zh)
    return entry, enterprise, to_local(catalog.published_at).date()


def plan_for(session: Session, enterprise: Enterprise) -> RetrofitPlan:
    plan = session.scalar(select(RetrofitPlan).where(RetrofitPlan.enterprise_id == enterprise.id))
    if plan is None:
        plan = RetrofitPlan(enterprise_id=enterprise.id, title=f"{enterprise.name} 一企一策节能改造方案")
        session.add(plan)
        session.flush()
    return plan


def create_project(
    session: Session, actor: Principal, spec: ProjectIn, *, deadline_pack: str | PolicyPack = DEADLINE_PACK
) -> ProjectOut:
    """Create a project from a measure, a below-baseline entry or directly (see the module docstring)."""
    notes: list[tuple[str, str]] = []
    measure: AuditMeasure | None = None
    listed_on: date | None = None
    accepted_on: date | None = None
    enterprise: Enterprise | None = None
    if spec.measure_id is not None:
        measure, enterprise, accepted_on = _measure(session, actor, spec.measure_id)
    if spec.catalog_entry_id is not None:
        entry, entry_enterprise, listed_on = _entry(session, actor, spec.catalog_entry_id)
        if enterprise is not None and entry_enterprise.id != enterprise.id:
            zh = "清单条目与节能措施不属于同一企业"
            en = "the catalog entry is of another enterprise than the measure"
            raise InvalidInput(zh_en(zh, en), field="catalog_entry_id", zh=zh)
        enterprise = entry_enterprise
        spec_name = spec.name or f"{entry.product} 能效提升改造"
    else:
        spec_name = spec.name or (measure.description[:200] if measure else "")
    if enterprise is None:
        if not spec.credit_code:
            zh = "请填写企业统一社会信用代码，或选择节能措施或清单条目"
            en = "give credit_code, measure_id or catalog_entry_id"
            raise InvalidInput(zh_en(zh, en), field="credit_code", zh=zh)
        enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    elif spec.credit_code and spec.credit_code.strip().upper() != enterprise.credit_code:
        zh = "统一社会信用代码与节能措施或清单条目所属企业不一致"
        en = "credit_code differs from the measure's or entry's enterprise"
        raise InvalidInput(zh_en(zh, en), field="credit_code", zh=zh)
    if not can_write_enterprise_data(session, actor, enterprise):
        zh = "只有本企业、其服务机构或所在地区主管部门可以添加其改造项目"
        en = "only the enterprise, its agency or its regulator may add its projects"
        raise PermissionDenied(zh_en(zh, en), zh=zh)
    if not spec_name:
        zh = "项目名称不能为空"
        raise InvalidInput(zh_en(zh, "name is required"), field="name", zh=zh)
    deadline = spec.deadline
    beyond = False
    if listed_on is not None or accepted_on is not None:
        years = deadline_years_max(deadline_pack)
        # a below-baseline entry counts from its listing; a measure from its report's acceptance
        since, what = (listed_on, "listing") if listed_on is not None else (accepted_on, "acceptance")
        assert since is not None
        latest = add_years(since, years)
        if deadline is None:
            deadline = latest
        elif deadline > latest:
            beyond = True
            notes.append(deadline_note(deadline, since, what, years, latest))
    if spec.start_date and deadline and deadline < spec.start_date:
        zh = "完成期限不能早于开工日期"
        raise InvalidInput(zh_en(zh, "deadline is before the start date"), field="deadline", zh=zh)
    plan = plan_for(session, enterprise)
    project = RetrofitProject(
        enterprise_id=enterprise.id,
        plan_id=plan.id,
        name=spec_name,
        project_type=spec.project_type or (measure.project_type if measure else "other"),
        origin="measure" if measure else ("catalog_entry" if listed_on else "direct"),
        measure_id=measure.id if measure else None,
        catalog_entry_id=spec.catalog_entry_id,
        listed_on=listed_on,
        investment_yuan=_first(spec.investment_yuan, measure.investment_yuan if measure else None),
        saving_tce_per_year=_first(spec.saving_tce_per_year, measure.saving_tce_per_year if measure else None),
        saving_tco2_per_year=_first(spec.saving_tco2_per_year, measure.saving_tco2_per_year if measure else None),
        start_date=spec.start_date,
        deadline=deadline,
        deadline_beyond_policy=beyond,
        state="proposed",
        demonstration=spec.demonstration,
        milestones=[ProjectMilestone(name=m.name, due=m.due, done=m.done, done_on=None) for m in spec.milestones],
    )
    session.add(project)
    session.flush()
    out = project_out(session, project, notes)
    after = out.model_dump(mode="json", exclude={"milestones", "documents"})
    append_audit(session, actor.username, "project.create", "retrofit_project", project.id, None, after)
    return out


def _first(given: float | None, fallback: float | None) -> float | None:
    return given if given is not None else fallback


# ---- plans ---------------------------------------------------------------------------------------------
def plan_out(session: Session, actor: Principal, plan: RetrofitPlan) -> PlanOut:
    enterprise = session.get(Enterprise, plan.enterprise_id)
    assert enterprise is not None
    projects = session.scalars(
        select(RetrofitProject).where(RetrofitProject.plan_id == plan.id).order_by(RetrofitProject.id)
    )
    outs = [project_out(session, p) for p in projects]
    live = [p for p in outs if p.state != "exited"]
    return PlanOut(
        id=plan.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        title=plan.title,
        note=plan.note,
        projects=outs,
        expected_tce_per_year=math.fsum(p.saving_tce_per_year or 0.0 for p in live),
        verified_tce_per_year=math.fsum(p.verified_tce_per_year or 0.0 for p in live),
    )


def list_plans(session: Session, actor: Principal, *, region_code: str | None = None) -> list[PlanOut]:
    """The plans (一企一策) of the enterprises the actor may read, optionally in one region subtree."""
    query = (
        select(RetrofitPlan)
        .join(Enterprise, Enterprise.id == RetrofitPlan.enterprise_id)
        .where(enterprise_filter(actor))
    )
    if region_code:
        query = query.where(in_region_subtree(Enterprise.region_code.expression, region_code))
    return [plan_out(session, actor, plan) for plan in session.scalars(query.order_by(Enterprise.credit_code))]


def get_plan(session: Session, actor: Principal, credit_code: str) -> PlanOut:
    enterprise = require_enterprise(session, actor, credit_code)
    plan = session.scalar(select(RetrofitPlan).where(RetrofitPlan.enterprise_id == enterprise.id))
    if plan is None:
        zh = "该企业尚无一企一策改造方案"
        raise NotFound(zh_en(zh, f"no plan for {enterprise.credit_code} yet"), field="credit_code", zh=zh)
    return plan_out(session, actor, plan)


def save_plan(session: Session, actor: Principal, spec: PlanIn) -> PlanOut:
    """Create the enterprise's plan or change its title and note (one plan per enterprise)."""
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    plan = plan_for(session, enterprise)
    before = {"title": plan.title, "note": plan.note}
    if spec.title:
        plan.title = spec.title
    if spec.note is not None:
        plan.note = spec.note
    session.flush()
    append_audit(
        session, actor.username, "plan.save", "retrofit_plan", plan.id, before, {"title": plan.title, "note": plan.note}
    )
    return plan_out(session, actor, plan)
