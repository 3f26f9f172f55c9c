"""Pure rules of equipment benchmarking and waste-heat matching (no database, no files).

* Grade rows: GB 18613-2020 motors (``motor_efficiency_gb18613``: spec ``"15 kW"``, poles) and the
  administrator-imported ``equipment_efficiency_grades`` (equipment type, rated kW, optional poles). A row
  matches only the exact rated power — never interpolated: a power between two table powers has no grade.
* Grade of an efficiency η (higher is better): 1 if η ≥ η₁, 2 if η ≥ η₂, 3 if η ≥ η₃ (3级 = 能效限定值),
  else below the limit.
* Annual energy at stake of one unit (kWh/yr) = P_rated × load factor × hours × (1/η − 1/η₁): the extra input
  energy of delivering the same output at the item's efficiency instead of grade 1's; 0 when η ≥ η₁.
* Load factor (负载率) of a motor from measurements, β = P₂ / P_N with the output P₂ ≈ P₁ × η (GB/T 12497
  三相异步电动机经济运行 defines β = P₂/P_N; the rated efficiency stands for the efficiency at the running load,
  an approximation that overstates β a little at light load): from the measured input power P₁ of one unit,
  β = P₁ × η / P_N; from metered energy E of all units over h hours, P₁ = E / (h × units).
* Other equipment of the GB 18613 family in the shipped table (GB 20052 transformers, GB 19153 compressors,
  GB 19761 fans, GB 19762 pumps) is graded on metrics the register does not hold (losses, specific power,
  fan duty point, pump formula): :func:`family_rows` names the standard, metric and rows so the note says
  what is missing instead of only "import a table".
* Waste heat: haversine distance (mean Earth radius 6 371.0088 km, IUGG), temperature fit in kelvin,
  quantity and daily-schedule overlaps (docs/equipment.md has the formulas).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MOTOR_TABLE = "motor_efficiency_gb18613"
GRADES_TABLE = "equipment_efficiency_grades"
MOTOR_EQUIPMENT = "三相异步电动机（低压）"
EFFICIENCY_METRICS = ("额定效率", "效率", "efficiency")
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius R1
ZERO_CELSIUS_K = 273.15
_POWER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*kW\s*$", re.IGNORECASE)
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class GradeRow:
    table: str
    row_id: str
    grade1: float
    grade2: float
    grade3: float


@dataclass(frozen=True)
class GradeLookup:
    row: GradeRow | None
    note: str | None  # why there is no row


def _number(cell: str | None) -> float | None:
    try:
        return float((cell or "").strip())
    except ValueError:
        return None


def _grade_row(table: str, row: Mapping[str, str]) -> GradeRow | None:
    values = [_number(row.get(c)) for c in ("grade1_1级", "grade2_2级", "grade3_3级")]
    if any(v is None for v in values):
        return None
    g1, g2, g3 = (float(v) for v in values if v is not None)
    return GradeRow(table, row.get("row_id", ""), g1, g2, g3)


def _higher_is_better_efficiency(row: Mapping[str, str]) -> bool:
    metric = (row.get("metric") or "").strip().lower()
    return metric in EFFICIENCY_METRICS and (row.get("unit") or "").strip() == "%"


def find_grade_row(
    tables: Mapping[str, Iterable[Mapping[str, str]]], equipment_type: str, rated_kw: float | None, poles: int | None
) -> GradeLookup:
    """The efficiency grade row for an item; a missing power, poles or table row gives a note instead."""
    if rated_kw is None:
        return GradeLookup(None, "无额定功率，未对标 / no rated power: not benchmarked")
    if equipment_type == "motor":
        if poles is None:
            return GradeLookup(None, "电动机缺极数，未对标 / motor without poles: GB 18613 grades depend on poles")
        powers: set[float] = set()
        for row in tables.get(MOTOR_TABLE, ()):
            if row.get("equipment") != MOTOR_EQUIPMENT or not _higher_is_better_efficiency(row):
                continue
            match = _POWER.match(row.get("spec") or "")
            if match is None:
                continue
            power = float(match.group(1))
            powers.add(power)
            if abs(power - rated_kw) < _TOLERANCE and (row.get("poles") or "").strip() == str(poles):
                found = _grade_row(MOTOR_TABLE, row)
                if found is not None:
                    return GradeLookup(found, None)
        if not any(abs(p - rated_kw) < _TOLERANCE for p in powers):
            return GradeLookup(
                None,
                f"{rated_kw:g} kW 不是 GB 18613 表中的额定功率（不插值），未定级 / "
                f"{rated_kw:g} kW is not a rated power of the GB 18613 table (no interpolation): not graded",
            )
        return GradeLookup(
            None,
            f"GB 18613 表无 {rated_kw:g} kW {poles} 极的行，未定级 / "
            f"no GB 18613 row for {rated_kw:g} kW with {poles} poles",
        )
    for row in tables.get(GRADES_TABLE, ()):
        if (row.get("equipment_type") or "").strip() != equipment_type or not _higher_is_better_efficiency(row):
            continue
        row_power = _number(row.get("rated_power_kw"))
        row_poles = (row.get("poles") or "").strip()
        if row_power is None or abs(row_power - rated_kw) >= _TOLERANCE:
            continue
        if row_poles and row_poles != str(poles):
            continue
        found = _grade_row(GRADES_TABLE, row)
        if found is not None:
            return GradeLookup(found, None)
    family = family_rows(tables, equipment_type)
    if family is not None:
        return GradeLookup(None, family.note(equipment_type))
    return GradeLookup(
        None,
        f"无对标等级行（请导入等级表）/ no grade row for {equipment_type} {rated_kw:g} kW in {GRADES_TABLE} "
        f"(import one: `dualcarbon reference import FILE --table {GRADES_TABLE}`)",
    )


#: Register type → the equipment name the shipped GB-family rows of ``MOTOR_TABLE`` use for it.
FAMILY_EQUIPMENT = {
    "transformer": "配电变压器",
    "air_compressor": "空气压缩机",
    "fan": "通风机",
    "pump": "离心泵",
}
#: Largest load factor accepted from measurements (the register's own bound on 负载率).
LOAD_FACTOR_MAX = 1.2


@dataclass(frozen=True)
class FamilyRows:
    """The shipped GB-family rows of one equipment type: standard, metrics with units, row ids."""

    standard: str
    metrics: tuple[str, ...]
    row_ids: tuple[str, ...]
    #: the metrics as the Chinese half says them: units in Chinese brackets, 百分点 for "% points", none for "-"
    metrics_zh: tuple[str, ...] = ()

    def note(self, equipment_type: str) -> str:
        rows = ", ".join(self.row_ids[:3]) + (" …" if len(self.row_ids) > 3 else "")
        metrics = "、".join(self.metrics)
        metrics_zh = "、".join(self.metrics_zh or self.metrics)
        kind = equipment_type.replace("_", " ")
        return (
            f"{self.standard} 按{metrics_zh}定级，台账只有额定效率，未定级（参考表 {MOTOR_TABLE} 行 {rows}）；"
            f"请导入官方等级表 / {self.standard} grades {kind} on {metrics}, which the register does "
            f"not hold: not graded (rows {rows}); import the official table "
            f"(`dualcarbon reference import FILE --table {GRADES_TABLE}`)"
        )


def family_rows(tables: Mapping[str, Iterable[Mapping[str, str]]], equipment_type: str) -> FamilyRows | None:
    """The non-motor GB-family rows of ``MOTOR_TABLE`` for the register type, if the table has any."""
    name = FAMILY_EQUIPMENT.get(equipment_type)
    if name is None:
        return None
    found = [row for row in tables.get(MOTOR_TABLE, ()) if name in (row.get("equipment") or "")]
    if not found:
        return None
    standard = (found[0].get("standard") or "").split(" (")[0]
    pairs = tuple(dict.fromkeys((row.get("metric", "").strip(), row.get("unit", "").strip()) for row in found))
    metrics = tuple(f"{metric} ({unit})" for metric, unit in pairs)
    return FamilyRows(standard, metrics, tuple(row.get("row_id", "") for row in found), tuple(map(_metric_zh, pairs)))


#: units of the GB-family rows that the Chinese half of a note says in words ("-": a coefficient, no unit)
_UNIT_WORDS_ZH = {"% points": "百分点", "-": ""}


def _metric_zh(pair: tuple[str, str]) -> str:
    """A metric and its unit in a Chinese sentence: ``效率修正值（百分点）``, ``空载损耗（kW）``, ``公式系数``."""
    metric, unit = pair
    shown = _UNIT_WORDS_ZH.get(unit, unit)
    return f"{metric}（{shown}）" if shown else metric


def load_factor_from_input(rated_kw: float, efficiency_pct: float, input_kw: float) -> float:
    """β = P₁ × η / P_N: measured input power of one unit × rated efficiency ÷ rated (output) power."""
    return input_kw * efficiency_pct / 100.0 / rated_kw


def load_factor_from_energy(
    rated_kw: float, efficiency_pct: float, energy_kwh: float, hours: float, units: int
) -> float:
    """β from the metered input energy of all ``units`` over ``hours`` running hours: P₁ = E / (h × units)."""
    return load_factor_from_input(rated_kw, efficiency_pct, energy_kwh / (hours * units))


def grade_of(efficiency_pct: float, row: GradeRow) -> int | None:
    """1, 2 or 3 (3级 = 能效限定值); None when below the limit."""
    for grade, threshold in ((1, row.grade1), (2, row.grade2), (3, row.grade3)):
        if efficiency_pct >= threshold - _TOLERANCE:
            return grade
    return None


def energy_at_stake_kwh(
    rated_kw: float, load_factor: float, hours: float, efficiency_pct: float, grade1_pct: float
) -> float:
    """P·LF·h·(1/η − 1/η₁) in kWh per year per unit; 0 when the item is at or above grade 1."""
    if efficiency_pct >= grade1_pct:
        return 0.0
    return rated_kw * load_factor * hours * (100.0 / efficiency_pct - 100.0 / grade1_pct)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km on a sphere of the mean Earth radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def temperature_fit(source_c: float, sink_c: float, dt_min_c: float) -> float | None:
    """(T_sink + ΔT_min) / T_source in kelvin: 1 for an exact fit, lower as the source is hotter than
    needed; None when the source is too cold (source < sink + ΔT_min)."""
    needed = sink_c + dt_min_c
    if source_c < needed:
        return None
    return (needed + ZERO_CELSIUS_K) / (source_c + ZERO_CELSIUS_K)


def quantity_overlap(source_q: float, sink_q: float) -> float:
    """The share of the sink's need the source can cover: min(q_source, q_sink) / q_sink."""
    return min(source_q, sink_q) / sink_q


def schedule_overlap(source: tuple[float, float], sink: tuple[float, float]) -> float:
    """Shared hours of two daily windows (start, end) divided by the sink's window length."""
    shared = max(0.0, min(source[1], sink[1]) - max(source[0], sink[0]))
    return shared / (sink[1] - sink[0])
