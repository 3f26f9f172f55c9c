"""Demo stage: equipment register, technology catalogue, obsolete list and waste-heat points (issue #9 §4).

Everything here is invented for the fictional 示范市 and labelled so where a reader sees it:

* register lines (电动机, 水泵, 风机) for the first four enterprises, with nameplates: motors above and below the
  GB 18613 3级 (能效限定值) row of their power and poles (the limit is read from the shipped grade table, never
  written here), and a motor model and an old pump that the demo obsolete list flags;
* a small technology catalogue and an obsolete-equipment list, both imported through the ordinary import
  services (validated, audited) from files whose every row says 演示数据（虚构） — they are not official lists;
* waste-heat sources and sinks a few kilometres apart, so that ``GET /api/v1/waste-heat/matches`` ranks pairs.

Nameplate efficiencies are placed relative to the grade row (``limit + offset``) so that the demo shows each
grading outcome whatever the values of the shipped table are.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from dualcarbon.core.access import Principal
from dualcarbon.demo.plan import CityPlan
from dualcarbon.equipment.schemas import EquipmentIn, WasteHeatIn
from dualcarbon.equipment.service_benchmark import benchmark_enterprise
from dualcarbon.equipment.service_catalogues import import_obsolete, import_technologies
from dualcarbon.equipment.service_register import save_item
from dualcarbon.equipment.service_waste_heat import match, save_point
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.store.db import session_scope

LABEL = "演示数据（虚构）"
OBSOLETE_HEADER = ("目录名称/批次", "条目编号", "设备类型", "型号规则", "出厂年份早于", "说明", "来源文件")
OBSOLETE_ROWS = (
    (
        f"{LABEL}淘汰设备目录",
        "DEMO-T-1",
        "电动机",
        "YX-DEMO-*",
        "2012",
        f"{LABEL}：示范用的旧型号电动机",
        f"{LABEL}，非官方文件",
    ),
    (f"{LABEL}淘汰设备目录", "DEMO-T-2", "水泵", "", "2000", f"{LABEL}：2000 年前出厂的水泵", f"{LABEL}，非官方文件"),
)
TECHNOLOGY_HEADER = ("编号", "技术名称", "领域", "节能率(%)", "投资回收期(年)", "技术简介", "典型案例", "目录批次")
TECHNOLOGY_ROWS = (
    (
        "DEMO-001",
        f"【{LABEL}】高效永磁同步电动机替换",
        "电机系统",
        "8",
        "3",
        f"{LABEL}：以高效电机替换低效电机",
        "",
        f"{LABEL}技术目录",
    ),
    (
        "DEMO-002",
        f"【{LABEL}】水泵变频调速改造",
        "泵与风机",
        "20",
        "2.5",
        f"{LABEL}：按需调节流量，减少节流损失",
        "",
        f"{LABEL}技术目录",
    ),
    (
        "DEMO-003",
        f"【{LABEL}】烟气余热回收换热",
        "余热利用",
        "10",
        "4",
        f"{LABEL}：回收窑炉烟气余热供工艺用热",
        "",
        f"{LABEL}技术目录",
    ),
    (
        "DEMO-004",
        f"【{LABEL}】空压机群控与管网检漏",
        "压缩空气",
        "12",
        "1.5",
        f"{LABEL}：联控启停并修复泄漏",
        "",
        f"{LABEL}技术目录",
    ),
)
#: (asset code, type, model, kW, poles, efficiency offset from the 3级 row in pp or None for no motor grade,
#:  year made, quantity, hours/yr, load factor)
MACHINES = (
    ("M-01", "motor", "YE4-250M-4", 55.0, 4, +1.5, 2021, 2, 6000.0, 0.75),
    ("M-02", "motor", "YE3-200L-4", 30.0, 4, -1.2, 2015, 1, 5000.0, 0.7),
    ("M-03", "motor", "YX-DEMO-160M-4", 11.0, 4, -2.0, 2008, 3, 4000.0, 0.65),
    ("P-01", "pump", "IS150-125-315", 37.0, None, None, 1998, 1, 7000.0, 0.8),
    ("F-01", "fan", "4-72-8C", 22.0, None, None, 2016, 2, 6500.0, 0.7),
)
#: per enterprise slot: (kind, name, °C, medium, GJ/h, start h, end h); offsets in degrees from the city centre
HEAT_POINTS = (
    ("source", "窑炉烟气", 320.0, "烟气", 12.0, 0.0, 24.0),
    ("sink", "工艺热水", 80.0, "热水", 6.0, 8.0, 20.0),
    ("source", "空压机冷却水", 55.0, "热水", 2.0, 8.0, 18.0),
    ("sink", "蒸汽干燥", 160.0, "蒸汽", 8.0, 0.0, 24.0),
)
CENTRE = (120.60, 27.55)  # an invented point for the fictional city; the points lie within a few km of it


@dataclass
class EquipmentResult:
    items: int = 0
    below_limit: int = 0
    obsolete: int = 0
    technologies: int = 0
    obsolete_rules: int = 0
    heat_points: int = 0
    matches: int = 0
    enterprises: list[str] = field(default_factory=list)


def _write(path: Path, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _limit(reference: ReferenceSet, kw: float, poles: int) -> float | None:
    """The 3级 (能效限定值) efficiency of the shipped GB 18613 row for ``kw`` and ``poles``."""
    for row in reference.tables["motor_efficiency_gb18613"].rows:
        if (row.get("spec") or "").strip() == f"{kw:g} kW" and (row.get("poles") or "").strip() == str(poles):
            try:
                return float(row.get("grade3_3级") or "")
            except ValueError:
                return None
    return None


def build_equipment(
    engine: Engine, plan: CityPlan, actor: Principal, reference: ReferenceSet, *, enterprises: int = 4
) -> EquipmentResult:
    """Register machines for the first ``enterprises`` of the plan, import the demo lists, record heat points."""
    result = EquipmentResult()
    owners = plan.enterprises[:enterprises]
    with tempfile.TemporaryDirectory() as folder, session_scope(engine) as session:
        obsolete = import_obsolete(session, actor, _write(Path(folder) / "o.csv", OBSOLETE_HEADER, OBSOLETE_ROWS))
        techs = import_technologies(session, actor, _write(Path(folder) / "t.csv", TECHNOLOGY_HEADER, TECHNOLOGY_ROWS))
        result.obsolete_rules, result.technologies = obsolete.created, techs.created
    for slot, owner in enumerate(owners):
        with session_scope(engine) as session:
            for code, kind, model, kw, poles, offset, year, quantity, hours, load in MACHINES[: 2 + slot]:
                limit = _limit(reference, kw, poles) if poles else None
                efficiency = round(limit + offset, 1) if limit is not None and offset is not None else None
                spec = EquipmentIn(
                    credit_code=owner.credit_code,
                    asset_code=code,
                    equipment_type=kind,  # type: ignore[arg-type]
                    model=model,
                    rated_power_kw=kw,
                    efficiency_pct=efficiency,
                    poles=poles,
                    year_made=year,
                    quantity=quantity,
                    operating_hours=hours,
                    load_factor=load,
                    notes=f"{LABEL}铭牌",
                )
                save_item(session, actor, spec)
            kind, name, temperature, medium, gj, start, end = HEAT_POINTS[slot % len(HEAT_POINTS)]
            lon, lat = CENTRE[0] + 0.01 * slot, CENTRE[1] + 0.008 * slot
            point = WasteHeatIn(
                credit_code=owner.credit_code,
                kind=kind,  # type: ignore[arg-type]
                name=f"{name}（{LABEL}）",
                temperature_c=temperature,
                medium=medium,
                quantity=gj,
                quantity_unit="GJ/h",
                start_hour=start,
                end_hour=end,
                hours_per_year=7200.0,
                lon=lon,
                lat=lat,
            )
            save_point(session, actor, point)
            result.heat_points += 1
            report = benchmark_enterprise(session, actor, owner.credit_code, reference)
            result.items += report.totals.items
            result.below_limit += report.totals.below_limit
            result.obsolete += report.totals.obsolete
            result.enterprises.append(owner.credit_code)
    with session_scope(engine, write=False) as session:
        result.matches = len(match(session, actor, reference).matches)
    return result
