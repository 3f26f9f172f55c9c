"""Benchmarking the register (设备对标): each line's grade, gaps, energy at stake and obsolete-list matches.

Grades come from the reference tables (``grading``): GB 18613 motors as shipped, other equipment from
``equipment_efficiency_grades`` once an administrator imports it — never interpolated. The load factor is
the line's own — given, or computed when the line was saved from its measured input power or metered energy
(``service_register.measured_load_factor``) — else the ``motor_load_factor_default`` row of ``equipment_rules``
(shipped blank: no checked source gives one); without either, or without operating hours, the energy figure is
left empty with a note saying which.
kWh become tce at the GB/T 2589 coefficient of 电力（当量值） from the reference set.

Also the rule look-ups of ``equipment_rules`` shared with waste-heat matching (:func:`rule_value`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import MissingCoefficient
from dualcarbon.equipment import grading
from dualcarbon.equipment.io.report import write_benchmark_workbook
from dualcarbon.equipment.models import EquipmentItem, ObsoleteRule
from dualcarbon.equipment.schemas import Benchmark, BenchmarkLine, BenchmarkReport, BenchmarkTotals
from dualcarbon.equipment.service_catalogues import matching_rules
from dualcarbon.reference.tables import ReferenceSet, parse_number
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise

RULES_TABLE = "equipment_rules"
LOAD_FACTOR_KEY = "motor_load_factor_default"
IMPORT_HINT = "import a value with `dualcarbon reference import FILE --table equipment_rules`"


def rule_value(reference: ReferenceSet, key: str) -> tuple[float | None, str]:
    """(value, row id) of ``key`` in ``equipment_rules``; value None when the row is blank."""
    table = reference.tables.get(RULES_TABLE)
    for row in table.rows if table else ():
        if row.get("key", "").strip() == key:
            return parse_number(row.get("value")), row["row_id"]
    raise MissingCoefficient(f"no rule '{key}' in {RULES_TABLE}; {IMPORT_HINT}")


def required_rule(reference: ReferenceSet, key: str) -> tuple[float, str]:
    value, row_id = rule_value(reference, key)
    if value is None:
        raise MissingCoefficient(f"rule '{key}' is blank in {RULES_TABLE} (row {row_id}); {IMPORT_HINT}")
    return value, row_id


def _kgce_per_kwh(reference: ReferenceSet) -> float | None:
    coefficient = reference.conversion_coefficient(reference.carrier("电力"))
    return coefficient.value if coefficient.unit == "kgce/kWh" else None


def benchmark_item(
    item: EquipmentItem,
    reference: ReferenceSet,
    rules: list[ObsoleteRule],
    default_load_factor: tuple[float | None, str],
    kgce_per_kwh: float | None,
) -> Benchmark:
    tables = {name: reference.tables[name].rows for name in (grading.MOTOR_TABLE, grading.GRADES_TABLE)}
    lookup = grading.find_grade_row(tables, item.equipment_type, item.rated_power_kw, item.poles)
    notes = [lookup.note] if lookup.note else []
    row = lookup.row
    grade = below = gap1 = gap_limit = kwh = tce = None
    load_factor, lf_source = item.load_factor, "item" if item.load_factor is not None else None
    if load_factor is None and default_load_factor[0] is not None:
        load_factor, lf_source = default_load_factor[0], default_load_factor[1]
    if row is not None:
        if item.efficiency_pct is None:
            notes.append("无额定效率，未定级 / no rated efficiency: not graded")
        else:
            grade = grading.grade_of(item.efficiency_pct, row)
            below = grade is None
            gap1 = round(row.grade1 - item.efficiency_pct, 6)
            gap_limit = round(item.efficiency_pct - row.grade3, 6)
            if item.efficiency_pct >= row.grade1:
                kwh = tce = 0.0  # at or above grade 1: nothing at stake
            elif item.rated_power_kw is None or item.operating_hours is None:
                notes.append(
                    "缺额定功率或年运行小时，未计算节能潜力 / no operating hours: energy at stake not computed"
                )
            elif load_factor is None:
                notes.append(
                    "缺负载率，未计算节能潜力：台账未填负载率，也没有实测输入功率或年计量电量可算，"
                    f"{RULES_TABLE} {default_load_factor[1]} 默认值空白（无来源）/ no load factor: the line gives "
                    "none, nor a measured input power or metered energy to compute one (register columns "
                    f"实测输入功率(kW), 年计量电量(kWh)), and the default {RULES_TABLE} {default_load_factor[1]} is "
                    "blank (no source): energy at stake not computed"
                )
            else:
                per_unit = grading.energy_at_stake_kwh(
                    item.rated_power_kw, load_factor, item.operating_hours, item.efficiency_pct, row.grade1
                )
                kwh = per_unit * item.quantity
                tce = kwh * kgce_per_kwh / 1000.0 if kgce_per_kwh is not None else None
    return Benchmark(
        item_id=item.id,
        asset_code=item.asset_code,
        equipment_type=item.equipment_type,
        model=item.model,
        rated_power_kw=item.rated_power_kw,
        poles=item.poles,
        efficiency_pct=item.efficiency_pct,
        quantity=item.quantity,
        table=row.table if row else None,
        row_id=row.row_id if row else None,
        grade1_pct=row.grade1 if row else None,
        grade2_pct=row.grade2 if row else None,
        grade3_pct=row.grade3 if row else None,
        grade=grade,
        below_limit=below,
        gap_to_grade1_pp=gap1,
        gap_to_limit_pp=gap_limit,
        load_factor=load_factor,
        load_factor_source=lf_source,
        energy_at_stake_kwh=kwh,
        energy_at_stake_tce=tce,
        obsolete=matching_rules(item, rules),
        notes=notes,
    )


def _totals(items: list[Benchmark]) -> BenchmarkTotals:
    graded = [b for b in items if b.grade is not None or b.below_limit]
    return BenchmarkTotals(
        items=len(items),
        units=sum(b.quantity for b in items),
        benchmarked=len(graded),
        grade1=sum(1 for b in items if b.grade == 1),
        grade2=sum(1 for b in items if b.grade == 2),
        grade3=sum(1 for b in items if b.grade == 3),
        below_limit=sum(1 for b in items if b.below_limit),
        not_benchmarked=len(items) - len(graded),
        obsolete=sum(1 for b in items if b.obsolete),
        energy_at_stake_kwh=sum(b.energy_at_stake_kwh or 0.0 for b in items),
        energy_at_stake_tce=sum(b.energy_at_stake_tce or 0.0 for b in items),
        without_energy_figure=sum(1 for b in graded if b.energy_at_stake_kwh is None),
    )


def benchmark_enterprise(
    session: Session, principal: Principal, credit_code: str, reference: ReferenceSet
) -> BenchmarkReport:
    """Every register line of the enterprise against its grade table, with the totals."""
    enterprise = require_enterprise(session, principal, credit_code)
    items = list(
        session.scalars(
            select(EquipmentItem).where(EquipmentItem.enterprise_id == enterprise.id).order_by(EquipmentItem.asset_code)
        )
    )
    rules = list(session.scalars(select(ObsoleteRule).order_by(ObsoleteRule.id)))
    default_lf = rule_value(reference, LOAD_FACTOR_KEY)
    kgce = _kgce_per_kwh(reference)
    benchmarks = [benchmark_item(item, reference, rules, default_lf, kgce) for item in items]
    return BenchmarkReport(
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        items=benchmarks,
        totals=_totals(benchmarks),
    )


def benchmark_workbook(session: Session, principal: Principal, credit_code: str, reference: ReferenceSet) -> bytes:
    """Shanghai's 设备对标 workbook of the enterprise (xlsx bytes)."""
    return write_benchmark_workbook(benchmark_enterprise(session, principal, credit_code, reference))


def benchmark_scope(
    session: Session, principal: Principal, reference: ReferenceSet, limit: int = 5000
) -> list[BenchmarkLine]:
    """Every register line the principal may read (at most ``limit``), each with its benchmark."""
    rows = session.execute(
        select(EquipmentItem, Enterprise)
        .join(Enterprise, Enterprise.id == EquipmentItem.enterprise_id)
        .where(enterprise_filter(principal))
        .order_by(Enterprise.credit_code, EquipmentItem.asset_code)
        .limit(limit)
    ).all()
    rules = list(session.scalars(select(ObsoleteRule).order_by(ObsoleteRule.id)))
    default_lf = rule_value(reference, LOAD_FACTOR_KEY)
    kgce = _kgce_per_kwh(reference)
    return [
        BenchmarkLine(
            credit_code=enterprise.credit_code,
            enterprise_name=enterprise.name,
            benchmark=benchmark_item(item, reference, rules, default_lf, kgce),
        )
        for item, enterprise in rows
    ]
