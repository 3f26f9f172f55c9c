"""The demo's asset registers for the instruments stage (:mod:`dualcarbon.demo.instruments`): PV systems and
their generation (reported by month, or an hourly generation meter inside the monitoring window), storage with
its discharge, data centres with reported IT and total energy, and green-manufacturing designations — all through
the assets services, written by the enterprise's filer (assets) or the city regulator (designations).

Every figure is synthetic: PV yields about 1,000 kWh/kWp a year shaped by season; storage about 25 cycles a month
at 90 % depth; data-centre IT load 3 kW a rack at 55–65 %, total = IT × the PUE aimed at (±0.5 % a month).
"""

from __future__ import annotations

import calendar
import csv
import math
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from dualcarbon.assets import service_common as asset_common
from dualcarbon.assets import service_datacentres as datacentres
from dualcarbon.assets import service_green as green
from dualcarbon.assets import service_pv as pv_register
from dualcarbon.assets import service_storage as storage_register
from dualcarbon.assets.schemas import (
    DESIGNATION_KIND_ZH,
    DESIGNATION_LEVEL_ZH,
    DatacentreIn,
    DesignationIn,
    MonthValue,
    PvIn,
    ReportedIn,
    StorageIn,
)
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.demo.monitoring import METER_COLUMNS, DemoMeter
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.reference import ReferenceSet

PACK = "longgang-2022"  # the pack the PV systems are registered under (mounting heights, modes)
PV_METER = "PV-GEN"
PV_YIELD_KWH_PER_KWP = 1000.0  # synthetic yearly yield; the monthly shape peaks in July
SELF_USE, FULL_FEED = "自发自用、余量上网", "全额上网"  # the Longgang pv rule's 并网模式 choices
#: name, roof type, category, module height m, usable m², covered m², kWp, mode, grid date, on platform
# fmt: off
PV_SYSTEMS: tuple[tuple[Any, ...], ...] = (
    ("平屋面分布式光伏", "flat", "existing", 1.8, 12_000.0, 7_800.0, 1_200.0, SELF_USE, date(2022, 9, 15), True),
    ("坡屋面分布式光伏", "sloped", "existing", 0.25, 6_000.0, 4_200.0, 650.0, SELF_USE, date(2023, 3, 20), True),
    ("坡屋面光伏（支架高）", "sloped", "new_factory", 0.45, 8e3, 8e3, 900.0, FULL_FEED, date(2023, 5, 10), True),
    ("新建厂房平屋面光伏", "flat", "new_factory", 2.4, 5_000.0, 5_000.0, 500.0, SELF_USE, None, False),
)
# fmt: on
#: name, PUE aimed at, racks, in operation since, new build, size
DATACENTRES: tuple[tuple[Any, ...], ...] = (
    ("云谷绿色数据中心", 1.18, 3_000, date(2021, 6, 1), True, "large"),
    ("城东政务云数据中心", 1.27, 1_200, date(2018, 4, 1), False, "medium"),
    ("园区企业数据中心", 1.46, 900, date(2016, 9, 1), False, "medium"),
    ("老城区通信机房（小散老旧）", 1.82, 600, date(2012, 3, 1), False, "small"),
)
#: kind, level, year, and the state its award application is taken to (None: no application)
DESIGNATIONS: tuple[tuple[str, str, int, str | None], ...] = (
    ("green_factory", "national", 2022, "paid"),
    ("green_supply_chain", "provincial", 2023, "approved"),
    ("green_product", "provincial", 2023, "submitted"),
    ("green_factory", "city", 2023, "in_review"),
    ("green_factory", "provincial", 2024, "submitted"),  # listed after the pack expired: refused
    ("green_factory", "provincial", 2024, None),
    ("green_factory", "provincial", 2025, None),
    ("green_factory", "national", 2025, None),
    ("zero_carbon_factory", "provincial", 2025, None),  # 零碳工厂: on Shanghai's exemption list, no pack award
)
PARKS = (("city", 2023), ("provincial", 2024), ("city", 2025))


@dataclass
class InstrumentsResult:
    """What the instruments stage made (ids), the applications by state, and what could not be applied for."""

    pv_ids: list[int] = field(default_factory=list)
    metered_pv_id: int | None = None
    storage_ids: list[int] = field(default_factory=list)
    datacentre_ids: list[int] = field(default_factory=list)
    pue: dict[int, tuple[float | None, int | None]] = field(default_factory=dict)  # id → (PUE, GB 40879 grade)
    designation_ids: list[int] = field(default_factory=list)
    pool_ids: list[int] = field(default_factory=list)
    applications: dict[str, list[int]] = field(default_factory=dict)  # state → ids
    not_applicable: list[str] = field(default_factory=list)  # evidence the pack refused, with the reason
    target_ids: list[int] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)  # warning level → targets


def _months(year: int, first: int, last: int) -> list[str]:
    return [f"{year:04d}-{month:02d}" for month in range(first, last + 1)]


def _pv_month_kwh(kwp: float, month: int, rng: random.Random) -> float:
    """Synthetic monthly generation: the yearly yield shaped by season (±35 %, July highest) and weather."""
    season = 1.0 + 0.35 * math.cos(2 * math.pi * (month - 7) / 12)
    return round(kwp * PV_YIELD_KWH_PER_KWP / 12 * season * rng.uniform(0.85, 1.05), 0)


def pick_enterprises(plan: CityPlan, count: int, first: list[str]) -> list[EnterprisePlan]:
    """Distinct enterprises with energy use: those named in ``first`` (credit codes) first, in that order, then
    plan order."""
    usable = [e for e in plan.enterprises if e.latest.total_tce > 0]
    rank = {code: n for n, code in enumerate(dict.fromkeys(first))}
    ordered = sorted(usable, key=lambda e: (rank.get(e.credit_code, len(rank)), e.index))
    return ordered[:count]


def _meter_for_pv(
    session: Session,
    enterprise: EnterprisePlan,
    window: tuple[datetime, datetime],
    kwp: float,
    rng: np.random.Generator,
    reference: ReferenceSet,
) -> int:
    """A generation meter (hourly interval kWh, not counted in the enterprise's consumption) with readings over
    the monitoring window: a daylight bell from 06:00 to 18:00 scaled to the synthetic yield, cloudy days lower."""
    meter = DemoMeter(
        enterprise.credit_code, PV_METER, "electricity", "kWh", "interval", 1.0, 0.0, counted=False, stage="conversion"
    )
    row = meter.csv_row()
    row[METER_COLUMNS.index("interval_minutes")] = 60
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pv-meter.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(METER_COLUMNS)
            writer.writerow(row)
        service_meters.import_meters(session, SYSTEM, path, reference)
    start, end = window
    first = start.replace(minute=0) + timedelta(hours=1)
    hours = int((end - first).total_seconds() // 3600)
    stamps = np.datetime64(first, "us") + np.arange(hours) * np.timedelta64(1, "h")
    hour = (stamps.astype("datetime64[h]").astype(np.int64) % 24).astype(np.float64) + 0.5  # mid-hour, local
    bell = np.clip(np.sin(np.pi * (hour - 6.0) / 12.0), 0.0, None)
    days = (np.arange(hours) // 24).astype(np.int64)
    cloud = rng.uniform(0.35, 1.0, days.max() + 1)[days]
    peak_kwh = kwp * PV_YIELD_KWH_PER_KWP / 365.0 / (12.0 * 2.0 / math.pi) / 0.675  # Σ bell = 24/π per day
    values = np.round(peak_kwh * bell * cloud, 2)
    table = pa.table(
        {
            "credit_code": pa.array([enterprise.credit_code] * hours),
            "meter_code": pa.array([PV_METER] * hours),
            "ts": pa.array(stamps, pa.timestamp("us")),
            "value": pa.array(values, pa.float64()),
        }
    )
    service_ingest.ingest_table(session, SYSTEM, table, source="file")
    return service_meters.find_meter(session, SYSTEM, enterprise.credit_code, PV_METER)[0].id


def build_pv(
    session: Session,
    actors: Actors,
    plan: CityPlan,
    owners: list[EnterprisePlan],
    window: tuple[datetime, datetime] | None,
    rng: random.Random,
    reference: ReferenceSet,
    result: InstrumentsResult,
) -> list[tuple[str, str]]:
    """The PV systems, their generation (reported months, or the meter), and the months each can claim."""
    latest = plan.spec.years[-1]
    periods = []
    for (name, roof, category, height, usable, covered, kwp, mode, since, platform), owner in zip(
        PV_SYSTEMS, owners, strict=True
    ):
        metered = window is not None and since is None
        if since is None:  # the last system: connected a month before the meters start, else in the latest year
            since = (window[0].date() - timedelta(days=30)) if window else date(latest, 1, 1)
        meter_id = None
        if metered and window is not None:
            meter_id = _meter_for_pv(session, owner, window, kwp, np.random.default_rng(plan.spec.seed), reference)
        spec = PvIn(
            credit_code=owner.credit_code,
            name=f"{owner.name}{name}",
            pack=PACK,
            roof_type=roof,
            roof_category=category,
            module_height_m=height,
            usable_roof_m2=usable,
            covered_roof_m2=covered,
            capacity_kwp=kwp,
            connection_mode=mode,
            grid_connected_on=since,
            connected_to_platform=platform,
            meter_id=meter_id,
        )
        with dated(session, moment(since.year, since.month, since.day)):
            made = pv_register.create_pv(session, actors.filer(owner), spec)
        result.pv_ids.append(made.id)
        if meter_id is not None and window is not None:
            result.metered_pv_id = made.id
            claimed = f"{window[1] - timedelta(days=20):%Y-%m}"  # one recent month: the claim is refused anyway
            periods.append((claimed, claimed))
            continue
        year = max(since.year, 2023) if since.year <= 2023 else latest
        first = since.month + 1 if since.year == year else 1
        if first > 12:
            year, first = year + 1, 1
        months = [MonthValue(month=m, kwh=_pv_month_kwh(kwp, int(m[5:]), rng)) for m in _months(year, first, 12)]
        with dated(session, moment(year + 1, 1, 8)):
            asset_common.report_months(
                session, actors.filer(owner), "pv", made.id, ReportedIn(quantity="generation", months=months)
            )
        periods.append((months[0].month, months[-1].month))
    return periods


def build_storage(
    session: Session, actors: Actors, owners: list[EnterprisePlan], rng: random.Random, result: InstrumentsResult
) -> None:
    """Two storage systems with their 2023 discharge reported by month (about 25 cycles a month at 90 %)."""
    for number, (owner, kwh, kw, since) in enumerate(
        zip(owners, (2_000.0, 1_000.0), (1_000.0, 500.0), (date(2022, 11, 1), date(2023, 6, 1)), strict=True)
    ):
        with dated(session, moment(since.year, since.month, since.day)):
            made = storage_register.create_storage(
                session,
                actors.filer(owner),
                StorageIn(
                    credit_code=owner.credit_code,
                    name=f"{owner.name}用户侧储能电站{number + 1}号",
                    capacity_kwh=kwh,
                    power_kw=kw,
                    commissioned_on=since,
                ),
            )
        result.storage_ids.append(made.id)
        first = 1 if since.year < 2023 else since.month + 1
        months = [MonthValue(month=m, kwh=round(kwh * 0.9 * rng.uniform(24, 28), 0)) for m in _months(2023, first, 12)]
        with dated(session, moment(2024, 1, 8)):
            asset_common.report_months(
                session, actors.filer(owner), "storage", made.id, ReportedIn(quantity="discharge", months=months)
            )


def build_datacentre(
    session: Session,
    writer: Principal,
    owner: EnterprisePlan,
    spec: tuple[Any, ...],
    year: int,
    rng: random.Random,
    reference: ReferenceSet,
    result: InstrumentsResult,
) -> None:
    """A data centre with the year's IT and total energy reported by month (IT: racks × 3 kW × 55–65 % load;
    total: IT × the PUE aimed at, ±0.5 % a month), and its PUE and GB 40879 grade read back."""
    name, aimed, racks, since, new, size = spec
    with dated(session, moment(year, 1, 5)):
        made = datacentres.create_datacentre(
            session,
            writer,
            DatacentreIn(
                credit_code=owner.credit_code,
                name=f"{owner.name}{name}",
                racks=racks,
                in_operation_since=since,
                new_build=new,
                size=size,
            ),
        )
    it, total = [], []
    for month in _months(year, 1, 12):
        hours = 24 * calendar.monthrange(year, int(month[5:]))[1]
        it_kwh = round(racks * 3.0 * hours * rng.uniform(0.55, 0.65), 0)
        it.append(MonthValue(month=month, kwh=it_kwh))
        total.append(MonthValue(month=month, kwh=round(it_kwh * aimed * rng.uniform(0.995, 1.005), 0)))
    with dated(session, moment(year + 1, 1, 10)):
        for spec_in in (ReportedIn(quantity="it", months=it), ReportedIn(quantity="total", months=total)):
            asset_common.report_months(session, writer, "datacentre", made.id, spec_in)
    result.datacentre_ids.append(made.id)
    answer = datacentres.pue(session, writer, made.id, f"{year}-01", f"{year}-12", reference)
    grade = None if answer.checks is None else answer.checks.get("gb40879_grade")
    result.pue[made.id] = (answer.pue, grade)


def build_designations(
    session: Session, city: Principal, plan: CityPlan, owners: list[EnterprisePlan], result: InstrumentsResult
) -> list[tuple[int, str | None, EnterprisePlan]]:
    """The listings (designations of enterprises, then parks of districts); (id, wanted state, owner) of each
    enterprise designation."""
    out = []
    for (kind, level, year, wanted), owner in zip(DESIGNATIONS, owners, strict=False):
        with dated(session, moment(year, 12, 10)):
            made = green.create_designation(
                session,
                city,
                DesignationIn.model_validate(
                    {
                        "credit_code": owner.credit_code,
                        "kind": kind,
                        "level": level,
                        "year": year,
                        "name": f"{owner.name}（{year}年{DESIGNATION_LEVEL_ZH[level]}{DESIGNATION_KIND_ZH[kind]}）",
                        "reassessment_due": date(year + 3, 12, 31),
                    }
                ),
            )
        result.designation_ids.append(made.id)
        out.append((made.id, wanted, owner))
    for number, (level, year) in enumerate(PARKS):
        district = plan.districts[number % len(plan.districts)]
        with dated(session, moment(year, 12, 12)):
            made = green.create_designation(
                session,
                city,
                DesignationIn.model_validate(
                    {
                        "region_code": district[0],
                        "kind": "green_park",
                        "level": level,
                        "year": year,
                        "name": f"{district[1]}绿色低碳产业园（{year}年{DESIGNATION_LEVEL_ZH[level]}绿色园区）",
                        "reassessment_due": date(year + 3, 12, 31),
                    }
                ),
            )
        result.designation_ids.append(made.id)
    return out
