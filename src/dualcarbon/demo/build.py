"""Building the whole demo city into a store, in the order a year of real work would happen.

``build_demo`` plans the city (:mod:`dualcarbon.demo.plan`), seeds people and places
(:mod:`dualcarbon.demo.people`), then runs the year (:mod:`dualcarbon.demo.workflow`): the two older
years' reports, the first catalog, the latest year's reports, two catalogs around the late approvals,
and the appeals. Every row goes through the services, so permissions are checked, figures computed and
the audit log written exactly as for real data. ``summarise`` counts the result, again via the services.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dualcarbon.catalog import service as catalog
from dualcarbon.catalog import service_appeals as appeals
from dualcarbon.core.access import SYSTEM
from dualcarbon.demo.alerts import AlertsResult, build_alerts
from dualcarbon.demo.equipment import EquipmentResult, build_equipment
from dualcarbon.demo.instruments import InstrumentsResult, build_instruments
from dualcarbon.demo.monitoring import MonitoringResult, build_monitoring
from dualcarbon.demo.people import (
    DemoLogin,
    NoProgress,
    Progress,
    new_password,
    register_enterprises,
    seed_enterprise_logins,
    seed_places_and_staff,
    set_deadlines,
)
from dualcarbon.demo.plan import CityPlan, DemoSpec, plan_city
from dualcarbon.demo.retrofit import RetrofitResult, build_retrofit, publish_policy_catalog
from dualcarbon.demo.workflow import approve_late, file_reports, generate_and_publish, stage_appeals
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry import service as registry
from dualcarbon.reports import service as report_service
from dualcarbon.store.db import session_scope

__all__ = ["DemoLogin", "DemoResult", "build_demo", "summarise"]


@dataclass
class DemoResult:
    """What the build made: the plan, the logins to print, catalog ids, and seconds per stage."""

    plan: CityPlan
    logins: list[DemoLogin]
    catalog_ids: dict[str, int] = field(default_factory=dict)  # half → published catalog id in force
    appeal_ids: dict[str, int] = field(default_factory=dict)  # appeal state → id
    timings: dict[str, float] = field(default_factory=dict)  # wall-clock seconds per stage
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process per stage
    alerts: AlertsResult = field(default_factory=AlertsResult)  # budgets and the alerts the data raise
    monitoring: MonitoringResult = field(default_factory=MonitoringResult)  # demo meters and readings
    retrofit: RetrofitResult = field(default_factory=RetrofitResult)  # diagnoses, audit, projects, M&V
    instruments: InstrumentsResult = field(default_factory=InstrumentsResult)  # PV, storage, DCs, subsidies, targets
    equipment: EquipmentResult = field(default_factory=EquipmentResult)  # register, demo lists, waste heat


# ---- the whole build -----------------------------------------------------------------------------------------
def build_demo(
    engine: Engine,
    spec: DemoSpec,
    reference: ReferenceSet,
    *,
    progress: Progress | None = None,
    passwords: Callable[[], str] = new_password,
    data_dir: Path | None = None,
) -> DemoResult:
    """Build the demo city of ``spec`` into the (empty, migrated) store of ``engine``; ``data_dir`` is the
    workspace (the weather sample is imported there, for the metered M&V)."""
    progress = progress or NoProgress()
    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    clock, cpu_clock = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock, cpu_clock
        now, cpu_now = time.perf_counter(), time.process_time()
        timings[name], cpu_timings[name] = now - clock, cpu_now - cpu_clock
        clock, cpu_clock = now, cpu_now

    plan = plan_city(spec, reference)
    n = len(plan.enterprises)
    oldest, middle, latest = spec.years
    first_half, second_half, third_half = spec.halves
    city_code = plan.city[0]
    lap("plan")
    progress.stage("地区与人员 regions and staff", 1)
    actors, logins = seed_places_and_staff(engine, plan, passwords)
    progress.advance()
    lap("regions and staff")
    progress.stage(f"企业登记 {n} enterprises", n)
    register_enterprises(engine, actors["city"], plan.enterprises, reference, progress, actors)
    logins += seed_enterprise_logins(engine, plan, actors, passwords)
    set_deadlines(engine, plan, actors["city"])
    lap("enterprises")
    result = DemoResult(plan, logins, timings=timings, cpu_timings=cpu_timings)
    for year in (oldest, middle):
        progress.stage(f"{year}年度报告 annual reports", n)
        file_reports(engine, plan, actors, year, reference, progress)
        lap(f"reports {year}")
    progress.stage(f"清单目录 {first_half} catalog", 1)
    result.catalog_ids[first_half] = generate_and_publish(engine, actors["city"], city_code, first_half, reference)[0]
    progress.advance()
    lap(f"catalog {first_half}")
    progress.stage(f"{latest}年度报告 annual reports", n)
    latest_ids = file_reports(engine, plan, actors, latest, reference, progress)
    lap(f"reports {latest}")
    progress.stage("清单目录与申辩 catalogs and appeals", 2 + 4)
    result.catalog_ids[second_half] = generate_and_publish(engine, actors["city"], city_code, second_half, reference)[0]
    progress.advance()
    approve_late(engine, plan, actors, latest_ids, NoProgress())
    third_id = generate_and_publish(engine, actors["city"], city_code, third_half, reference)[0]
    policy_id = publish_policy_catalog(engine, actors["city"], plan, third_half, reference)  # 基准以下 → projects
    progress.advance()
    result.appeal_ids, result.catalog_ids[third_half] = stage_appeals(
        engine, plan, actors, third_id, reference, progress
    )
    lap("catalogs and appeals")
    if spec.meter_enterprises and spec.meter_days:
        progress.stage(f"在线监测 meters and {spec.meter_days} days of readings", 1)
        result.monitoring = build_monitoring(engine, plan, SYSTEM, reference)
        progress.advance()
        lap("monitoring")
    progress.stage("节能诊断与改造项目 diagnoses, audit and retrofit projects", 1)
    result.retrofit = build_retrofit(
        engine, plan, actors, third_half, reference, policy_catalog_id=policy_id, data_dir=data_dir
    )
    progress.advance()
    lap("retrofit")
    progress.stage("设备台账、技术目录与余热匹配 equipment, catalogues and waste heat", 1)
    result.equipment = build_equipment(engine, plan, SYSTEM, reference)
    progress.advance()
    lap("equipment")
    progress.stage("光伏、储能、数据中心、绿色制造、补贴与目标 policy instruments", 1)
    mon = result.monitoring
    window = (mon.start, mon.end) if mon.start and mon.end else None
    result.instruments = build_instruments(engine, plan, actors, reference, result.retrofit, monitoring_window=window)
    progress.advance()
    lap("instruments")
    if result.monitoring.meters:
        progress.stage("告警 budgets and alerts", 1)
        result.alerts = build_alerts(engine, plan, SYSTEM, reference, result.monitoring)
        progress.advance()
        lap("alerts")
    return result


def summarise(engine: Engine, region_code: str) -> dict[str, Any]:
    """Counts of what the store holds, read through the services: enterprises, reports per state,
    catalogs per state, appeals per state, and the reports overdue today in ``region_code``."""
    out: dict[str, Any] = {}
    with session_scope(engine, write=False) as session:
        out["enterprises"] = registry.list_enterprises(session, SYSTEM, limit=1)[1]
        out["reports"] = {
            state: report_service.list_reports(session, SYSTEM, report_service.ReportFilter(state=state), limit=1)[1]
            for state in report_service.STATE_LABELS
        }
        out["catalogs"] = {
            state: catalog.list_catalogs(session, SYSTEM, state=state, limit=1)[1]
            for state in ("draft", "published", "superseded")
        }
        out["appeals"] = {
            state: appeals.list_appeals(session, SYSTEM, state=state, limit=1)[1] for state in appeals.APPEAL_STATE_ZH
        }
        out["overdue"] = len(report_service.overdue(session, SYSTEM, region_code, date.today()))
    return out
