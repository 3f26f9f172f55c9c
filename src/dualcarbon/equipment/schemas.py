"""Typed inputs and results of the equipment services (register, benchmark, obsolete list, technologies, waste heat).

JSON keys are the API's contract. Inputs forbid unknown keys; numbers must be finite (no NaN/Infinity).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.equipment.models import EquipmentType, QuantityUnit, WasteHeatKind


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- register --------------------------------------------------------------------------------------------
class EquipmentIn(_In):
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码 of the owner")
    asset_code: str = Field(min_length=1, max_length=64, description="设备编号, unique per enterprise")
    equipment_type: EquipmentType
    model: str | None = Field(default=None, max_length=120, description="型号")
    rated_power_kw: float | None = Field(default=None, gt=0, description="额定功率 (kW)")
    efficiency_pct: float | None = Field(default=None, gt=0, le=100, description="额定效率 (%)")
    poles: int | None = Field(default=None, ge=2, le=16, description="极数 (motors)")
    speed_rpm: int | None = Field(default=None, gt=0, le=100_000, description="转速 (r/min)")
    year_made: int | None = Field(default=None, ge=1900, le=2100, description="出厂年份")
    declared_grade: str | None = Field(default=None, max_length=16, description="铭牌能效等级 as declared")
    quantity: int = Field(default=1, ge=1, le=100_000, description="台数")
    operating_hours: float | None = Field(default=None, ge=0, le=8784, description="年运行小时 (h)")
    load_factor: float | None = Field(default=None, gt=0, le=1.2, description="负载率 (0-1)")
    measured_input_kw: float | None = Field(
        default=None,
        gt=0,
        description="实测输入功率 (kW, one unit, mean while running): gives load_factor when it is not given",
    )
    metered_kwh: float | None = Field(
        default=None,
        gt=0,
        description="年计量电量 (kWh, all units) with operating_hours: gives load_factor when it is not given",
    )
    site: str | None = Field(default=None, max_length=200, description="厂区 name (optional)")
    unit: str | None = Field(default=None, max_length=200, description="生产单元 name (optional)")
    notes: str | None = Field(default=None, max_length=2000)


class EquipmentOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    asset_code: str
    equipment_type: str
    equipment_type_zh: str
    model: str | None
    rated_power_kw: float | None
    efficiency_pct: float | None
    poles: int | None
    speed_rpm: int | None
    year_made: int | None
    declared_grade: str | None
    quantity: int
    operating_hours: float | None
    load_factor: float | None
    site: str | None
    unit: str | None
    notes: str | None
    lock_version: int


class ImportReceipt(Schema):
    file: str
    rows: int
    created: int
    updated: int
    unchanged: int


# ---- benchmark -------------------------------------------------------------------------------------------
class ObsoleteMatch(Schema):
    catalogue: str
    entry_code: str
    source_document: str
    reason: str


class Benchmark(Schema):
    """One register line against its grade table; figures are None with a ``note`` when they cannot be had."""

    item_id: int
    asset_code: str
    equipment_type: str
    model: str | None
    rated_power_kw: float | None
    poles: int | None
    efficiency_pct: float | None
    quantity: int
    table: str | None = Field(description="reference table of the grade row")
    row_id: str | None = Field(description="grade row used (no interpolation: exact rated power)")
    grade1_pct: float | None
    grade2_pct: float | None
    grade3_pct: float | None = Field(description="3级 = 能效限定值")
    grade: int | None = Field(description="1, 2 or 3; None when below 3级 or not benchmarked")
    below_limit: bool | None = Field(description="efficiency below 3级 (能效限定值)")
    gap_to_grade1_pp: float | None = Field(description="grade-1 efficiency − item's, percentage points")
    gap_to_limit_pp: float | None = Field(description="item's efficiency − 3级, percentage points (<0: below)")
    load_factor: float | None
    load_factor_source: str | None = Field(description="'item' or the reference row id")
    energy_at_stake_kwh: float | None = Field(description="all units: P·LF·h·(1/η − 1/η₁)·quantity, kWh/yr")
    energy_at_stake_tce: float | None = Field(description="at the GB/T 2589 电力（当量值） coefficient")
    obsolete: list[ObsoleteMatch]
    notes: list[str]


class BenchmarkTotals(Schema):
    items: int
    units: int
    benchmarked: int
    grade1: int
    grade2: int
    grade3: int
    below_limit: int
    not_benchmarked: int
    obsolete: int
    energy_at_stake_kwh: float
    energy_at_stake_tce: float
    without_energy_figure: int


class BenchmarkLine(Schema):
    """A register line with its benchmark, for lists over several enterprises (the 设备台账 page)."""

    credit_code: str
    enterprise_name: str
    benchmark: Benchmark


class BenchmarkReport(Schema):
    credit_code: str
    enterprise_name: str
    items: list[Benchmark]
    totals: BenchmarkTotals


# ---- obsolete list and technologies ------------------------------------------------------------------------
class ObsoleteRuleOut(Schema):
    id: int
    catalogue: str
    entry_code: str
    equipment_type: str
    model_pattern: str | None
    made_before_year: int | None
    description: str | None
    source_document: str


class TechnologyCitation(Schema):
    """An audit measure citing a technology (in a report the reader may see)."""

    report_id: int
    report_title: str
    report_state: str
    year: int
    enterprise_name: str
    measure_id: int
    position: int
    description: str
    saving_tce_per_year: float


class TechnologyOut(Schema):
    code: str
    name: str
    field: str
    saving_rate_pct: float | None
    payback_years: float | None
    description: str | None
    typical_cases: str | None
    source_batch: str
    cited_by: list[TechnologyCitation] = Field(
        default_factory=list, description="audit measures citing it, in reports you may see (newest first)"
    )


# ---- waste heat ----------------------------------------------------------------------------------------------
class WasteHeatIn(_In):
    credit_code: str = Field(min_length=18, max_length=18)
    kind: WasteHeatKind = Field(description="source (余热源) or sink (用热需求)")
    name: str = Field(min_length=1, max_length=200)
    temperature_c: float = Field(ge=-50, le=2000, description="source: supply °C; sink: required °C")
    medium: str = Field(min_length=1, max_length=64, description="烟气, 蒸汽, 热水 …")
    quantity: float = Field(gt=0, description="heat flow or steam/water flow")
    quantity_unit: QuantityUnit
    start_hour: float = Field(default=0, ge=0, lt=24, description="daily window start, local hour")
    end_hour: float = Field(default=24, gt=0, le=24, description="daily window end, local hour")
    hours_per_year: float | None = Field(default=None, ge=0, le=8784)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class WasteHeatOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    kind: str
    name: str
    temperature_c: float
    medium: str
    quantity: float
    quantity_unit: str
    start_hour: float
    end_hour: float
    hours_per_year: float | None
    lon: float | None
    lat: float | None


class WasteHeatMatch(Schema):
    source: WasteHeatOut
    sink: WasteHeatOut
    temperature_margin_c: float = Field(description="source − (sink + ΔT_min), ≥ 0")
    temperature_fit: float = Field(description="(T_sink + ΔT_min) / T_source in kelvin, 1 = exact")
    quantity_overlap: float | None = Field(description="min(q_source, q_sink) / q_sink; None: units differ")
    schedule_overlap: float = Field(description="shared daily hours / sink's daily hours")
    distance_km: float | None = Field(description="haversine; None when a location is missing")
    distance_score: float | None
    score: float = Field(description="Σ weight × component (missing components count 0)")
    notes: list[str]


class WasteHeatMatches(Schema):
    region_code: str | None
    dt_min_c: float
    max_distance_km: float
    weights: dict[str, float]
    rule_rows: list[str]
    matches: list[WasteHeatMatch]
