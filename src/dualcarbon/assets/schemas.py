"""Vocabularies, inputs and results of the asset registers: PV (光伏), storage (储能), data centres (数据中心),
green designations (绿色制造名单).

JSON keys are the API's contract. Inputs forbid unknown keys and non-finite numbers. Months are ``YYYY-MM``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

RoofType = Literal["sloped", "flat"]
RoofCategory = Literal["existing", "new_factory"]
AssetKind = Literal["pv", "storage", "datacentre"]
Quantity = Literal["generation", "discharge", "total", "it"]
DatacentreSize = Literal["small", "medium", "large", "super_large"]
DesignationKind = Literal["green_factory", "green_supply_chain", "green_product", "green_park", "zero_carbon_factory"]
DesignationLevel = Literal["national", "provincial", "city"]

ROOF_TYPES: tuple[str, ...] = get_args(RoofType)
ROOF_CATEGORIES: tuple[str, ...] = get_args(RoofCategory)
ASSET_KINDS: tuple[str, ...] = get_args(AssetKind)
QUANTITIES: tuple[str, ...] = get_args(Quantity)
DATACENTRE_SIZES: tuple[str, ...] = get_args(DatacentreSize)
DESIGNATION_KINDS: tuple[str, ...] = get_args(DesignationKind)
DESIGNATION_LEVELS: tuple[str, ...] = get_args(DesignationLevel)
#: which quantity an asset kind reports (a data centre reports two)
QUANTITIES_OF: dict[str, tuple[str, ...]] = {
    "pv": ("generation",),
    "storage": ("discharge",),
    "datacentre": ("total", "it"),
}

ROOF_TYPE_ZH = {"sloped": "坡屋面", "flat": "平屋面"}
ROOF_CATEGORY_ZH = {"existing": "现有建筑屋顶", "new_factory": "新建工业厂房屋顶"}
DESIGNATION_KIND_ZH = {
    "green_factory": "绿色工厂",
    "green_supply_chain": "绿色供应链",
    "green_product": "绿色（设计）产品",
    "green_park": "绿色园区",
    "zero_carbon_factory": "零碳工厂",
}
DESIGNATION_LEVEL_ZH = {"national": "国家级", "provincial": "省级", "city": "市级"}
#: levels from the highest down; "省级以上" counts provincial and national
LEVEL_ORDER: tuple[str, ...] = ("national", "provincial", "city")

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, field: str = "month") -> tuple[int, int]:
    """``"2024-03"`` → (2024, 3); ValueError naming the field otherwise."""
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError(f"{field} must be a month written YYYY-MM (got {text!r})")
    return int(match.group(1)), int(match.group(2))


#: the largest row id (PostgreSQL integer)
MAX_ID = 2**31 - 1


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthValue(_In):
    month: str = Field(description="YYYY-MM")
    kwh: float = Field(ge=0, le=1e12, description="kWh in the month (at most 1 TWh: a sanity bound)")

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        parse_month(value)
        return value


class ReportedIn(_In):
    """Energy reported per month by the owner; used when the asset has no meter linked."""

    quantity: Quantity
    months: list[MonthValue] = Field(min_length=1, max_length=600)


class PvIn(_In):
    credit_code: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    pack: str = Field(default="longgang-2022", min_length=1, max_length=80, description="the governing pack")
    roof_type: RoofType
    roof_category: RoofCategory = "existing"
    module_height_m: float = Field(ge=0, le=100, description="module top above the roof surface, m")
    usable_roof_m2: float | None = Field(default=None, gt=0, description="可利用屋顶面积")
    covered_roof_m2: float | None = Field(default=None, ge=0, description="已安装光伏的屋顶面积")
    capacity_kwp: float = Field(gt=0, le=10_000_000)
    connection_mode: str = Field(min_length=1, max_length=40, description="并网模式, one of the pack's choices")
    grid_connected_on: date | None = None
    connected_to_platform: bool = False
    meter_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="the generation meter (monitoring)")


class StorageIn(_In):
    credit_code: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    capacity_kwh: float = Field(gt=0, le=100_000_000)
    power_kw: float = Field(gt=0, le=100_000_000)
    commissioned_on: date | None = None
    meter_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="the discharge meter (monitoring)")


class DatacentreIn(_In):
    credit_code: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    racks: int | None = Field(default=None, ge=0, le=1_000_000)
    in_operation_since: date | None = None
    new_build: bool | None = None
    size: DatacentreSize | None = None
    total_meter_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="total facility energy meter")
    it_meter_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="IT equipment energy meter")


class DesignationIn(_In):
    region_code: str | None = Field(default=None, min_length=6, max_length=6, description="for a park")
    credit_code: str | None = Field(default=None, max_length=18, description="for a factory, chain or product")
    kind: DesignationKind
    level: DesignationLevel
    year: int = Field(ge=1990, le=2100)
    name: str = Field(min_length=1, max_length=200)
    reassessment_due: date | None = Field(default=None, description="动态复核 date")


class ReportedOut(Schema):
    asset_kind: AssetKind
    asset_id: int
    quantity: Quantity
    months: dict[str, float] = Field(description="YYYY-MM → kWh recorded by this call")


class MonthEnergy(Schema):
    month: str
    kwh: float | None
    source: Literal["meter", "reported", "missing"]
    completeness: float | None = None
    flags: list[str] = Field(default_factory=list)


class PvOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    name: str
    pack: str
    roof_type: RoofType
    roof_type_zh: str
    roof_category: RoofCategory
    module_height_m: float
    height_limit_m: float | None
    height_compliant: bool | None
    height_clause: str | None
    usable_roof_m2: float | None
    covered_roof_m2: float | None
    capacity_kwp: float
    connection_mode: str
    grid_connected_on: date | None
    connected_to_platform: bool
    meter_id: int | None
    lock_version: int


class StorageOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    name: str
    capacity_kwh: float
    power_kw: float
    duration_h: float
    commissioned_on: date | None
    meter_id: int | None
    lock_version: int


class DatacentreOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    name: str
    racks: int | None
    in_operation_since: date | None
    new_build: bool | None
    size: DatacentreSize | None
    total_meter_id: int | None
    it_meter_id: int | None
    lock_version: int


class EnergyOfPeriod(Schema):
    """An asset's energy over whole months, month by month, with where each month's figure came from."""

    asset_kind: AssetKind
    asset_id: int
    quantity: Quantity
    period_from: str
    period_to: str
    months: list[MonthEnergy]
    total_kwh: float | None = Field(description="null when a month has no figure")
    missing_months: list[str]


class PvPerformance(Schema):
    asset: PvOut
    generation: EnergyOfPeriod
    co2_avoided_t: float | None = Field(description="Σ month kWh × the grid factor of the month's year ÷ 1000")
    grid_factors: list[dict[str, Any]] = Field(description="per year: row, year, region, tCO₂/MWh, note")


class PueResult(Schema):
    """PUE = total facility energy ÷ IT energy of the period, and the datacentre contract's checks on it."""

    datacentre: DatacentreOut
    total: EnergyOfPeriod
    it: EnergyOfPeriod
    pue: float | None
    checks: dict[str, Any] | None = Field(description="the `calc datacentre` answer (grade, Yunnan, Shanghai)")
    note: str | None = None


class CoverageLine(Schema):
    target_id: str
    title_zh: str
    kind: str
    target_value: float
    unit: str
    achieved: float | None
    met: bool | None
    basis: str
    clause: str
    basis_zh: str = ""  # the basis in Chinese, for Chinese pages


class CoverageReport(Schema):
    pack: str
    region_code: str
    assets: int
    lines: list[CoverageLine]


class DesignationOut(Schema):
    id: int
    region_code: str
    credit_code: str | None
    enterprise_name: str | None
    kind: DesignationKind
    kind_zh: str
    level: DesignationLevel
    level_zh: str
    year: int
    name: str
    reassessment_due: date | None
    reassessment_overdue: bool


class DesignationCount(Schema):
    target_id: str
    title_zh: str
    designation_kind: str
    levels_counted: list[str]
    target_value: float
    counted: int
    met: bool
    clause: str
    note: str


class DesignationCounts(Schema):
    pack: str
    region_code: str
    by_kind_level: dict[str, dict[str, int]]
    targets: list[DesignationCount]
