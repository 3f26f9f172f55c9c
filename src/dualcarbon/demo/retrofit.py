"""The demo's energy-saving retrofit work (节能诊断、能源审计、节能改造项目库) — issue #9, through the services.

* The city regulator registers the demo's service agency (机构, its member is the ``agency`` login) and assigns
  it to the enterprises the ``agency`` login already serves (:mod:`dualcarbon.demo.people`).
* The gb-basis catalogs have no 基准以下 tier: when the plan has an enterprise above its row's 基准 value (only
  some rows carry 标杆/基准 values) whose latest report is approved (so it is in the latest catalogs), the city
  publishes the policy-basis catalog of the latest half and its 基准以下 entries become projects; otherwise
  there are none (``policy_catalog_id`` stays None).
* The agency files diagnoses (节能诊断) with two implementable measures each, for enterprises inside the filing
  pack's diagnosis band by their latest consumption (the plan sizes a few so; ``plan.owes`` asks the audits
  service, so no diagnosis carries the out-of-obligation note); the regulator accepts them with a checklist,
  except one whose checklist fails an item (returned). The energy audit (能源审计) of the largest user owing one,
  for the latest report year, is filed in the first quarter after it (by the agency if it serves that
  enterprise, else by the enterprise) and accepted. Each measure's
  tCO₂/a is its tce/a at the CO₂ per tce of the carriers it saves (electricity, the other carriers, or all) in the
  enterprise's latest report, as the report figures compute it (:func:`tco2_per_tce`).
* Projects come from the accepted measures and from 基准以下 entries of the catalog in force; the projects service
  sets the deadlines the pack allows (a measure's: the report's acceptance + the Yunnan parameter; an entry's: the
  listing + the same), except the first three measures', due at the end of the year after the report (earlier,
  within the limit). The diagnoses' projects are history (completed; one 示范项目; the third left in progress past
  its deadline), the audit's the open work (due after the build date): so projects past their deadline, marked
  overdue at the build, are that one whatever the day the demo is built.
* The shipped synthetic weather sample is imported into the workspace (``dualcarbon weather stations``).
* One completed project gets a verified saving (M&V): from the daily rollups of a verification meter on the
  retrofitted system of its enterprise (``E-MV``, the only meter with readings back to the sample's first day; its
  load follows the station's temperatures and falls by the system's share after the completion) joined with the
  station's temperatures — a valid daily baseline needs a year of days; else (no workspace, enterprise not
  monitored, no valid model) from monthly data reported by the enterprise with the sample's month means.
  ``RetrofitResult.mv_source`` says which. The M&V itself is in :mod:`dualcarbon.demo.retrofit_mv`.

Figures are synthetic, drawn from the enterprise's planned reports and a seeded random generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.audits import service_agencies as agencies
from dualcarbon.audits import service_reports as audit_reports
from dualcarbon.audits.schemas import AcceptanceIn, AgencyIn, AuditReportIn, ChecklistItemIn, MeasureIn
from dualcarbon.catalog import service as catalog
from dualcarbon.catalog import service_generate as catalog_generate
from dualcarbon.catalog import service_publish as catalog_publish
from dualcarbon.catalog.schemas import CatalogEntryOut
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.monitoring_meters import _SHANGHAI
from dualcarbon.demo.people import EDITION, STAFF, Actors
from dualcarbon.demo.plan import CityPlan, EnterprisePlan, credit_code, owes
from dualcarbon.demo.retrofit_mv import (
    _verify_metered,
    _verify_reported,
    _weather,
    add_verification_meter,
    import_weather_sample,
    metered_window,
)
from dualcarbon.demo.workflow import dated, half_published_at, moment
from dualcarbon.monitoring import service_meters
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.schemas import ProjectIn, TransitionIn
from dualcarbon.reference import ReferenceSet
from dualcarbon.reports.service_compute import carbon_figures, energy_figures
from dualcarbon.reports.service_content import ReportContent
from dualcarbon.store.db import session_scope

AGENCY_NAME = next(display for user, _, display, _ in STAFF if user == "agency")  # the 机构 is its user's company
CHECKLIST = ("能源计量与统计数据核实", "节能措施技术可行性", "节能量测算方法", "投资估算与回收期")
MEASURES = (  # description, project type, share of the enterprise's yearly energy saved, payback years
    ("电机系统变频调速改造", "motor_system", 0.021, 2.8),
    ("余热回收利用改造", "waste_heat", 0.034, 3.6),
    ("空压机群控与管网改造", "equipment", 0.012, 2.2),
    ("生产工艺优化与能源管理中心建设", "energy_centre", 0.028, 4.1),
)
#: The audit's measures (picks of MEASURES: about 9.5 % of the enterprise's energy) and the states their projects
#: are taken to, created from the day (month, day) of the year after the audit year (before any build date).
AUDIT_MEASURES = (1, 3, 0, 2)
AUDIT_PROJECT_STATES = ("in_progress", "in_progress", "approved", "proposed")
AUDIT_PROJECTS_ON = (3, 10)
COMPLETED_LATER_DAYS = 120  # the later diagnosis projects complete this many days apart after the first two
#: What a measure of the type saves, for its tCO₂ (:func:`tco2_per_tce`): motors and compressed air save
#: electricity, waste-heat recovery the other carriers (fuels, heat), the rest the enterprise's whole mix.
SAVES = {"motor_system": "electricity", "equipment": "electricity", "waste_heat": "thermal"}


@dataclass
class RetrofitResult:
    """What the retrofit stage made: ids to show and check, and how the verified project was measured."""

    agency_id: int = 0
    policy_catalog_id: int | None = None  # the policy-basis catalog whose 基准以下 entries became projects
    agency_enterprises: list[str] = field(default_factory=list)  # credit codes
    diagnoses: dict[str, list[int]] = field(default_factory=dict)  # state → report ids
    audit_id: int | None = None
    project_ids: list[int] = field(default_factory=list)
    demonstration_id: int | None = None
    overdue_ids: list[int] = field(default_factory=list)
    verified_id: int | None = None
    mv_source: str = ""  # meters | reported
    verified_tce_per_year: float | None = None
    weather_station: str | None = None  # the imported sample station (None without a workspace directory)
    mv_meter_id: int | None = None  # the verification meter of a metered M&V


def _energy_price(enterprise: EnterprisePlan) -> float:
    """元/tce of the enterprise's own latest report: energy cost (万元) ÷ total tce."""
    report = enterprise.latest
    return float(report.content["economics"]["energy_cost_10k_yuan"]) * 10_000.0 / report.total_tce


def tco2_per_tce(
    enterprise: EnterprisePlan, saves: str, reference: ReferenceSet, province_name: str | None
) -> float | None:
    """tCO₂ per tce (当量值) of the energy a measure saves: the enterprise's latest combusted/consumed lines of
    the kind it saves (``electricity``; ``thermal`` = every other carrier; ``all``), falling back to all of them
    when it has none of that kind, through the report figures (:func:`energy_figures` for tce,
    :func:`carbon_figures` for CO₂, grid factor chosen as for the report). Both are linear in the quantities,
    so the ratio is the CO₂ of any saved share of those lines. None when either figure is unavailable."""
    consumed = [line for line in enterprise.latest.content["energy_lines"] if line.get("use", "fuel") == "fuel"]
    electric = [line for line in consumed if reference.carrier(line["carrier"]).kind == "electricity"]
    chosen = {
        "electricity": electric,
        "thermal": [line for line in consumed if line not in electric],
    }.get(saves, consumed) or consumed
    content = ReportContent.model_validate({"energy_lines": chosen})
    year = enterprise.latest.year
    energy = energy_figures(content, reference, year)["equivalent"]
    emitted = carbon_figures(content, reference, year, province_name)
    if not energy.get("available") or not emitted.get("available") or not energy["total_tce"]:
        return None
    return float(emitted["total_tco2"]) / float(energy["total_tce"])


def _measures(
    enterprise: EnterprisePlan, picks: tuple[int, ...], reference: ReferenceSet, province_name: str | None
) -> list[MeasureIn]:
    """The measures ``picks`` of :data:`MEASURES` for ``enterprise``: tce/a as a share of its yearly energy,
    tCO₂/a from that tce through :func:`tco2_per_tce`, investment from the payback at its own energy price."""
    price = _energy_price(enterprise)
    out = []
    for pick in picks:
        text, kind, share, payback = MEASURES[pick]
        saving = round(enterprise.latest.total_tce * share, 1)
        per_tce = tco2_per_tce(enterprise, SAVES.get(kind, "all"), reference, province_name)
        out.append(
            MeasureIn(
                description=text,
                project_type=kind,  # type: ignore[arg-type]
                investment_yuan=round(saving * price * payback, -3),
                saving_tce_per_year=saving,
                saving_tco2_per_year=None if per_tce is None else round(saving * per_tce, 1),
                energy_price_yuan_per_tce=round(price, 1),
            )
        )
    return out


def _monitored(session: Session) -> list[str]:
    return list(dict.fromkeys(m.credit_code for m in service_meters.list_meters(session, SYSTEM)))


def _choose(plan: CityPlan, actors: Actors, monitored: list[str]) -> tuple[list[EnterprisePlan], EnterprisePlan]:
    """Diagnosed enterprises — those owing a diagnosis by their latest consumption (the plan sizes a few so), the
    agency's and monitored ones first — and the largest user owing an audit for the energy audit."""
    usable = [e for e in plan.enterprises if e.index not in actors.enterprise_users and e.latest.total_tce > 0]
    watched = set(monitored)
    ranked = sorted(
        usable,
        key=lambda e: (
            not owes("diagnosis", e.latest.total_tce),
            e.index not in actors.agency_enterprises,
            e.credit_code not in watched,
            e.index,
        ),
    )
    diagnosed = ranked[:4]  # out-of-band ones (filed as voluntary) only when a small city has fewer than four
    rest = [e for e in usable if e not in diagnosed]
    audited = max(rest, key=lambda e: (owes("audit", e.latest.total_tce), e.latest.total_tce))
    return diagnosed, audited


#: Fates of the latest report that put it in the catalogs of the latest year (only approved reports feed them).
CATALOGUED_FATES = ("approved", "approved_late")


def _below_baseline_expected(plan: CityPlan, reference: ReferenceSet) -> bool:
    """Whether an enterprise whose latest report is approved (so it is in the latest catalogs) has a unit
    consumption above its row's 基准 value (the rows that have one). A unit above the baseline whose report is
    returned, a draft or missing is in no catalog of the latest year: publishing the policy-basis catalog
    for it would give one of undetermined entries only, and no project."""
    for enterprise in plan.enterprises:
        row = reference.benchmark_row(enterprise.profile.row_id)
        if (
            row.baseline is not None
            and enterprise.latest.fate in CATALOGUED_FATES
            and enterprise.latest.unit_consumption > row.baseline
        ):
            return True
    return False


def publish_policy_catalog(
    engine: Engine, city: Principal, plan: CityPlan, half: str, reference: ReferenceSet
) -> int | None:
    """Generate and publish the policy-basis catalog of ``half`` (two days after the gb-basis one) when an
    enterprise is expected below its row's 基准 value; its id, else None. The build calls it before the
    appeals, so the appeal's corrected gb-basis re-issue stays the newest catalog (the dashboard's)."""
    if not _below_baseline_expected(plan, reference):
        return None
    region = plan.city[0]
    published = half_published_at(half) + timedelta(days=2)
    with session_scope(engine) as session, dated(session, published - timedelta(days=1)):
        generated = catalog_generate.generate_catalog(
            session, city, region, EDITION, half, "policy", reference=reference
        )
        catalog_id, undetermined = generated.catalog.id, generated.counts.get("undetermined")
    with session_scope(engine) as session, dated(session, published):
        catalog_publish.publish_catalog(
            session, city, catalog_id, reference=reference, confirm_undetermined=undetermined or None
        )
    return catalog_id


def _file(session: Session, agent: Principal, spec: AuditReportIn, when: date) -> int:
    with dated(session, moment(when.year, when.month, when.day)):
        report = audit_reports.create_report(session, agent, spec)
    with dated(session, moment(when.year, when.month, when.day, 240)):
        audit_reports.submit_report(session, agent, report.id)
    return report.id


def _decide(session: Session, city: Principal, report_id: int, when: date, *, fail: str | None = None) -> str:
    items = [ChecklistItemIn(item=item, passed=True, note="符合要求") for item in CHECKLIST]
    if fail:
        items[2] = ChecklistItemIn(item=CHECKLIST[2], passed=False, note=fail)
    with dated(session, moment(when.year, when.month, when.day)):
        return audit_reports.accept_report(session, city, report_id, AcceptanceIn(checklist=items)).state


def _step(session: Session, actor: Principal, project_id: int, action: str, when: date, **extra: Any) -> None:
    with dated(session, moment(when.year, when.month, when.day)):
        lifecycle.transition(session, actor, project_id, TransitionIn(action=action, **extra))  # type: ignore[arg-type]


def build_retrofit(
    engine: Engine,
    plan: CityPlan,
    actors: Actors,
    half: str,
    reference: ReferenceSet,
    *,
    policy_catalog_id: int | None = None,
    today: date | None = None,
    data_dir: Path | None = None,
    now: datetime | None = None,
) -> RetrofitResult:
    """The retrofit stage of the demo (see the module docstring). The gb-basis catalog in force has no 基准以下
    tier: the city also publishes the policy-basis (标杆/基准) catalog of ``half``, whose entries below the
    baseline become projects. ``data_dir``: the workspace, where the weather sample is imported (metered M&V needs
    it); ``now``: the end of the verification meter's readings (Asia/Shanghai, naive; default: now)."""
    today = today or date.today()
    now = now or datetime.now(tz=_SHANGHAI).replace(tzinfo=None, second=0, microsecond=0)
    rng = random.Random(plan.spec.seed * 104729 + 9)
    city = actors["city"]
    result = RetrofitResult()
    weather = _weather()
    base_year = min(d.year for d in weather if d.month == 1 and d.day == 1)
    with session_scope(engine) as session:
        monitored = _monitored(session)
        diagnosed, audited = _choose(plan, actors, monitored)
        with dated(session, moment(base_year, 9, 1)):
            agency = agencies.register_agency(
                session,
                city,
                AgencyIn(
                    name=AGENCY_NAME,
                    credit_code=credit_code(plan.city[0], rng),
                    region_code=plan.city[0],
                    qualifications=["节能诊断服务", "能源审计（GB/T 17166）"],
                    contact="服务热线 0000-00000000（演示）",
                    members=["agency"],
                ),
            )
            served = [e for e in plan.enterprises if e.index in actors.agency_enterprises]
            for code in dict.fromkeys(e.credit_code for e in [*served, *diagnosed]):
                agency = agencies.assign_enterprise(session, city, agency.id, code)
        result.agency_id = agency.id
        result.agency_enterprises = list(agency.enterprises)
        agent = actors.by_name["agency"] = principal_for(session, actors.users["agency"])
        # diagnoses of the base year: filed in October, decided in November (the last one fails an item)
        measures: list[tuple[int, ...]] = [(0, 1), (2, 3), (0, 2), (1, 3)]
        for number, enterprise in enumerate(diagnosed):
            spec = AuditReportIn(
                kind="diagnosis",
                credit_code=enterprise.credit_code,
                year=base_year,
                title=f"{enterprise.name} {base_year}年度节能诊断报告",
                baseline_energy_tce=round(enterprise.latest.total_tce, 1),
                measures=_measures(enterprise, measures[number % len(measures)], reference, plan.province[1]),
                due_date=date(base_year, 10, 31),
            )
            report_id = _file(session, agent, spec, date(base_year, 10, 10 + number))
            failing = "节能量测算未说明基期产量修正" if number == 3 else None
            state = _decide(session, city, report_id, date(base_year, 11, 5 + number), fail=failing)
            result.diagnoses.setdefault(state, []).append(report_id)
        # the audit of the latest report year (its report gives the baseline), filed and accepted in the first
        # quarter after it: before any build date of this plan, so its projects' deadlines (acceptance + the
        # pack's years) lie ahead of the build whatever day it runs
        audit_year = plan.spec.latest_year
        spec = AuditReportIn(
            kind="audit",
            credit_code=audited.credit_code,
            year=audit_year,
            title=f"{audited.name} {audit_year}年度能源审计报告",
            baseline_energy_tce=round(audited.latest.total_tce, 1),
            measures=_measures(audited, AUDIT_MEASURES, reference, plan.province[1]),
            due_date=date(audit_year + 1, 3, 31),
        )
        # the audit: by the agency when it serves the enterprise, else by the enterprise's own energy manager
        auditor = agent if audited.credit_code in result.agency_enterprises else actors.filer(audited)
        result.audit_id = _file(session, auditor, spec, date(audit_year + 1, 2, 10))
        _decide(session, city, result.audit_id, date(audit_year + 1, 3, 1))
    completion = date(base_year + 1, 6, 30)
    result.policy_catalog_id = policy_catalog_id
    with session_scope(engine) as session:
        _projects(session, result, actors, half, base_year, today, completion)
    verified = result.project_ids[0]
    if data_dir is not None:
        result.weather_station = import_weather_sample(engine, data_dir)
    window = metered_window(weather, completion)
    with session_scope(engine) as session:
        project = projects.get_project(session, city, verified)
    # the verification meter is the project's own (IPMVP option B), so it needs monitoring on, not the enterprise
    # among the online-monitored ones (a diagnosis-sized enterprise rarely is)
    if result.weather_station is None or not monitored or not project.saving_tce_per_year:
        window = None
    if window is not None and data_dir is not None and result.weather_station is not None:
        try:
            result.mv_meter_id = add_verification_meter(
                engine, reference, project.credit_code, project.saving_tce_per_year or 0.0, completion, weather, now,
                plan.spec.seed,
            )  # fmt: skip
            with session_scope(engine) as session:
                _verify_metered(
                    session, result, actors, verified, result.mv_meter_id, window, result.weather_station, reference,
                    data_dir,
                )  # fmt: skip
            if _claimable(engine, verified) is None:
                window = None  # the meter's data give no valid model (未通过验证): use the reported months
        except InvalidInput:
            window = None  # the meter's data do not fit a model: fall back to the reported months
    if window is None:
        with session_scope(engine) as session:
            _verify_reported(session, result, actors, plan, verified, weather, base_year, rng, reference)
    result.verified_tce_per_year = _claimable(engine, verified)  # None when the verification is not valid
    return result


def _claimable(engine: Engine, project_id: int) -> float | None:
    """The project's verified saving: set only by a valid verification (projects/service_verification.py)."""
    with session_scope(engine) as session:
        project = session.get(RetrofitProject, project_id)
        return None if project is None else project.verified_tce_per_year


def _projects(
    session: Session,
    result: RetrofitResult,
    actors: Actors,
    half: str,
    year: int,
    today: date,
    completion: date,
) -> None:
    """Projects from the accepted reports' measures and from 基准以下 entries, taken through their states.

    The diagnoses' projects (``year``'s reports) are history whatever the build date: the first two completed
    (the first verified afterwards), the third still in progress past its deadline (the end of the next year) —
    the one overdue project the demo means to show — and the others completed within the pack's limit. The
    audit's (the latest report year, accepted in the first quarter after it) are the open work: started,
    approved, proposed, due after any build date of the plan."""
    city, agent = actors["city"], actors["agency"]
    served = set(result.agency_enterprises)
    created: list[int] = []
    diagnoses = [audit_reports.get_report(session, city, i) for i in result.diagnoses.get("accepted", [])]
    measures = [m.id for report in diagnoses for m in report.measures]
    writers = [agent if report.credit_code in served else city for report in diagnoses for _ in report.measures]
    for number, (measure_id, writer) in enumerate(zip(measures, writers, strict=True)):
        # the first three due at the end of the next year; the others the pack's limit (service default)
        deadline = date(year + 1, 12, 31) if number < 3 else None
        with dated(session, moment(year, 12, 15, number)):
            project = projects.create_project(
                session, writer, ProjectIn(measure_id=measure_id, start_date=date(year + 1, 2, 1), deadline=deadline)
            )
        created.append(project.id)
        _step(session, city, project.id, "approve", date(year + 1, 1, 10))
        _step(session, writer, project.id, "start", date(year + 1, 2, 1))
        if number == 2:
            continue  # in progress past its deadline: overdue
        done = completion if number < 2 else completion + timedelta(days=COMPLETED_LATER_DAYS * (number - 1))
        _step(session, writer, project.id, "complete", done, completed_on=done)
    if result.audit_id is not None:
        audit = audit_reports.get_report(session, city, result.audit_id)
        writer = agent if audit.credit_code in served else city
        for number, (measure, state) in enumerate(zip(audit.measures, AUDIT_PROJECT_STATES, strict=False)):
            when = date(audit.year + 1, *AUDIT_PROJECTS_ON) + timedelta(days=number)
            start = when + timedelta(days=7)
            with dated(session, moment(when.year, when.month, when.day, number)):
                project = projects.create_project(session, writer, ProjectIn(measure_id=measure.id, start_date=start))
            created.append(project.id)
            if state == "proposed":
                continue
            _step(session, city, project.id, "approve", when + timedelta(days=3))
            if state == "in_progress":
                _step(session, writer, project.id, "start", start)
    entries: list[CatalogEntryOut] = []
    if result.policy_catalog_id is not None:
        entries, _ = catalog.list_entries(
            session, city, result.policy_catalog_id, catalog.EntryFilter(tier="below_baseline"), limit=3
        )
    listed = half_published_at(half) + timedelta(days=10)  # listed when the policy catalog is published
    for number, entry in enumerate(entries):
        with dated(session, listed + timedelta(hours=number)):
            project = projects.create_project(session, city, ProjectIn(catalog_entry_id=entry.id))
        created.append(project.id)
        if number == 0:
            with dated(session, listed + timedelta(days=5)):
                lifecycle.transition(session, city, project.id, TransitionIn(action="approve"))
    result.project_ids = created
    if created:
        with dated(session, moment(year + 1, 7, 15)):
            lifecycle.set_demonstration(session, city, created[0], True)
        result.demonstration_id = created[0]
    result.overdue_ids = lifecycle.mark_overdue(session, city, today)
