"""The demo city's targets (目标) and what it achieved each year, through the targets service.

Seeded from the packs (``targets.service.seed_from_pack``): Longgang (projects, energy freed, value-added
intensity −9 %, PV shares and capacity, diagnoses per year), Putian (green factories, supply chains and parks at
provincial level and above) and Liaocheng (new green factories and parks at city level and above); Yunnan's
capacity shares at benchmark (30 %) and below baseline (0 %) are pack *parameters*, so they are set with
``create_target(pack, parameter)`` and computed from the published catalog. No base year is given: the packs
do not state one, so no planned path is drawn and no required rate is invented.

The years recorded are what the demo's own data give, read back through the services:

* intensity decline of 规上 enterprises: 1 − (Σ tce ÷ Σ value added)ᵧ ÷ (the same)ᵧ₋₁ over the enterprises with
  approved (or locked) reports carrying value added in both years, for the two later report years;
* projects implemented (started, by start year) and completed (by completion year); accepted diagnoses (by
  report year); energy freed = verified savings (tce/a, by completion year);
* PV capacity grid-connected by year; roof shares (the PV coverage service) in the latest year;
* designations by year, of the kind and the levels the target's title counts (“省级以上” …).

Longgang's targets end in 2023 while the demo's reports start in 2023: its progress page says the period has
ended — a true statement about the pack, not hidden by moving dates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.assets import service_green as green
from dualcarbon.assets import service_pv as pv_register
from dualcarbon.audits import service_reports as audit_reports
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.projects import service_projects as projects
from dualcarbon.reports import service as report_service
from dualcarbon.store.db import session_scope
from dualcarbon.targets import service as targets
from dualcarbon.targets import service_progress as progress
from dualcarbon.targets.schemas import SeedIn, TargetIn, TargetOut, YearIn

SEEDED_PACKS = ("longgang-2022", "putian-2024", "liaocheng-2023")
CAPACITY_PARAMETERS = (  # kind, comparison, Yunnan parameter, target year (the parameter's “到 2025 年”)
    ("benchmark_capacity_share", "at_least", "yunnan.target.benchmark_capacity_share_2025", 2025),
    ("below_baseline_capacity_share", "at_most", "yunnan.target.below_baseline_capacity_share_2025", 2025),
)
STARTED = ("in_progress", "completed", "verified")
FINISHED = ("completed", "verified")
COUNTED_REPORTS = ("approved", "locked")
LIMIT = 10_000


def build_targets(engine: Engine, plan: CityPlan, actors: Actors) -> tuple[list[int], dict[str, int]]:
    """Seed and record the city's targets; (target ids, number of targets per warning level)."""
    city, region = actors["city"], plan.city[0]
    oldest, latest = plan.spec.years[0], plan.spec.years[-1]
    with session_scope(engine) as session:
        seeded: list[TargetOut] = []
        with dated(session, moment(oldest, 2, 1)):
            for pack in SEEDED_PACKS:
                seeded += targets.seed_from_pack(session, city, SeedIn(pack=pack, region_code=region))
            for kind, comparison, parameter, year in CAPACITY_PARAMETERS:
                spec = TargetIn(
                    region_code=region,
                    kind=kind,
                    comparison=comparison,  # type: ignore[arg-type]
                    pack="yunnan-2022",
                    parameter=parameter,
                    target_year=year,
                )
                seeded.append(targets.create_target(session, city, spec))
        yearly = _achievements(session, plan, region, latest)
        for target in seeded:
            for year, (value, note) in sorted(yearly(target).items()):
                _record(session, city, target.id, year, value, note)
        levels: Counter[str] = Counter()
        for target in seeded:
            warning = progress.progress(session, city, target.id).warning
            levels[warning.level if warning else "none"] += 1
    return [t.id for t in seeded], dict(levels)


def _record(session: Session, city: Principal, target_id: int, year: int, value: float, note: str) -> None:
    current = targets.get_target(session, city, target_id)
    with dated(session, moment(year + 1, 1, 20)):
        targets.record_year(
            session,
            city,
            target_id,
            YearIn(year=year, achieved=round(value, 4), note=f"{note}（演示数据）", lock_version=current.lock_version),
        )


def _achievements(session: Session, plan: CityPlan, region: str, latest: int) -> Any:
    """A function: target → {year: (achieved, note)} from the demo's data (see the module docstring)."""
    declines = _intensity_declines(session, plan, region)
    project_rows, _ = projects.list_projects(session, SYSTEM, region_code=region, limit=LIMIT)
    started = Counter(p.start_date.year for p in project_rows if p.state in STARTED and p.start_date)
    finished = Counter(p.completed_on.year for p in project_rows if p.state in FINISHED and p.completed_on)
    freed: dict[int, float] = defaultdict(float)
    for p in project_rows:
        # a verification that found more use, not less (possible with a long metered window), frees nothing
        if p.verified_tce_per_year is not None and p.completed_on is not None and p.verified_tce_per_year > 0:
            freed[p.completed_on.year] += p.verified_tce_per_year
    diagnoses, _ = audit_reports.list_reports(session, SYSTEM, kind="diagnosis", state="accepted", limit=LIMIT)
    diagnosed = Counter(r.year for r in diagnoses)
    systems = pv_register.list_pv(session, SYSTEM, region_code=region)
    capacity: dict[int, float] = defaultdict(float)
    for system in systems:
        if system.grid_connected_on is not None:
            capacity[system.grid_connected_on.year] += system.capacity_kwp
    designations = green.list_designations(session, SYSTEM, region_code=region)
    coverage: dict[str, float | None] = {}
    if systems:
        for line in pv_register.coverage(session, SYSTEM, "longgang-2022", region).lines:
            coverage[line.kind] = line.achieved

    def counts(values: dict[int, float] | Counter[int], what: str) -> dict[int, tuple[float, str]]:
        return {year: (float(n), f"{what} {n:g}") for year, n in values.items()}

    def of(target: TargetOut) -> dict[int, tuple[float, str]]:
        kind = target.kind
        if kind == "value_added_energy_intensity_decline":
            return declines
        if kind == "energy_saving_projects":
            return counts(started, "开工实施的节能改造项目")
        if kind == "energy_saving_projects_per_year":
            return counts(finished, "完成的节能改造项目")
        if kind == "energy_saving_diagnoses_per_year":
            return counts(diagnosed, "验收通过的节能诊断报告")
        if kind == "energy_use_freed":
            return {y: (v, f"经 M&V 核定的年节能量 {v:.1f} tce") for y, v in freed.items()}
        if kind == "new_pv_capacity" and target.unit == "kW":
            return {y: (v, f"当年并网光伏 {v:g} kWp") for y, v in capacity.items()}
        if kind in pv_register.SHARE_TARGETS and coverage.get(kind) is not None:
            return {latest: (float(coverage[kind] or 0.0), "光伏覆盖率（已装面积 ÷ 可利用屋顶面积）")}
        if kind in green.TARGET_KINDS:
            levels, _ = green.levels_counted(target.title_zh)
            since = plan.spec.years[0] if kind.endswith("_new") else 0
            chosen = Counter(
                d.year
                for d in designations
                if d.kind == green.TARGET_KINDS[kind] and d.level in levels and d.year >= since
            )
            return counts(chosen, f"列入名单（{'、'.join(levels)}）")
        return {}

    return of


def _intensity_declines(session: Session, plan: CityPlan, region: str) -> dict[int, tuple[float, str]]:
    above_scale = {e.credit_code for e in plan.enterprises if e.above_scale}
    by_year: dict[int, dict[str, tuple[float, float]]] = {}
    for year in plan.spec.years:
        rows: dict[str, tuple[float, float]] = {}
        for state in COUNTED_REPORTS:
            found, _ = report_service.list_reports(
                session,
                SYSTEM,
                report_service.ReportFilter(region_code=region, year=year, state=state, period_kind="year"),
                limit=LIMIT,
            )
            for r in found:
                tce, intensity = r.total_tce_equivalent, r.tce_per_10k_yuan_value_added
                if r.credit_code in above_scale and tce and intensity and intensity > 0:
                    rows[r.credit_code] = (tce, tce / intensity)  # (tce, value added 万元)
        by_year[year] = rows
    out: dict[int, tuple[float, str]] = {}
    for before, year in zip(plan.spec.years, plan.spec.years[1:], strict=False):
        both = sorted(set(by_year[before]) & set(by_year[year]))
        if not both:
            continue
        then = math.fsum(by_year[before][c][0] for c in both) / math.fsum(by_year[before][c][1] for c in both)
        now = math.fsum(by_year[year][c][0] for c in both) / math.fsum(by_year[year][c][1] for c in both)
        decline = (1 - now / then) * 100
        note = (
            f"规上企业单位增加值能耗 {now:.4f} tce/万元，较{before}年（{then:.4f}）下降 {decline:.2f}%"
            f"（可比企业 {len(both)} 家）"
        )
        out[year] = (decline, note)
    return out
