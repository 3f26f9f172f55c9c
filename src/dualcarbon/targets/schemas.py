"""Shapes that cross the targets subject's boundary: targets, their progress, and the derived lists.

How a target's ``kind`` is measured (:data:`MEASURE_OF_KIND`) decides how its yearly achievements add up:

* ``compound_decline`` — yearly declines in % that compound (1 − A) = Π(1 − dᵢ) (intensity decline);
* ``sum`` — yearly amounts or counts that add up (projects, tce freed, kW of PV, designations);
* ``annual`` — a per-year target: each year is compared with the value on its own;
* ``latest`` — a level (a share in %): the latest year's value is what counts;
* ``catalog_benchmark_share`` — computed, not recorded: the share of capacity at 标杆 (or grade 1) in the
  published catalog;
* ``catalog_below_baseline_share`` — computed: the share of capacity below 基准 (or failing grade 3) still
  to be cleared.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, FiniteFloat

Measure = Literal[
    "compound_decline", "sum", "annual", "latest", "catalog_benchmark_share", "catalog_below_baseline_share"
]
Scope = Literal["region", "group", "enterprise"]

MEASURE_OF_KIND: dict[str, Measure] = {
    "value_added_energy_intensity_decline": "compound_decline",
    "energy_intensity_decline": "compound_decline",
    "carbon_intensity_decline": "compound_decline",
    "annual_energy_saving_rate": "annual",
    "energy_saving_projects": "sum",
    "energy_saving_projects_per_year": "annual",
    "energy_saving_diagnoses_per_year": "annual",
    "energy_audits_per_year": "annual",
    "energy_use_freed": "sum",
    "energy_saved": "sum",
    "new_pv_capacity": "sum",
    "rooftop_pv_share": "latest",
    "rooftop_pv_share_new_factories": "latest",
    "rooftop_pv_share_existing": "latest",
    "backward_capacity_enterprise_exits": "sum",
    "green_factories": "sum",
    "green_factories_new": "sum",
    "green_supply_chains": "sum",
    "green_parks": "sum",
    "green_parks_new": "sum",
    "designations": "sum",
    "benchmark_capacity_share": "catalog_benchmark_share",
    "below_baseline_capacity_share": "catalog_below_baseline_share",
}
MEASURE_ZH: dict[str, str] = {
    "compound_decline": "逐年下降率复合累计",
    "sum": "逐年累计",
    "annual": "年度目标（逐年考核）",
    "latest": "最新年度水平",
    "catalog_benchmark_share": "能效标杆水平产能占比（据已发布能效清单目录）",
    "catalog_below_baseline_share": "基准水平以下产能占比（据已发布能效清单目录）",
}
SCOPE_ZH = {"region": "地区", "group": "集团", "enterprise": "企业"}


class TargetIn(BaseModel):
    """A target a regulator sets by hand (or a capacity-share target read from a pack parameter)."""

    scope: Scope = "region"
    region_code: str | None = Field(default=None, min_length=6, max_length=6)
    credit_code: str | None = None
    group_name: str | None = Field(default=None, max_length=200)
    kind: str = Field(min_length=1, max_length=64)
    title_zh: str | None = Field(default=None, max_length=200)
    comparison: Literal["at_least", "at_most"] = "at_least"
    value: FiniteFloat | None = None
    unit: str | None = Field(default=None, max_length=16)
    base_year: int | None = Field(default=None, ge=1990, le=2100)
    target_year: int | None = Field(default=None, ge=1990, le=2100)
    product: str | None = Field(default=None, max_length=200)
    pack: str | None = None
    parameter: str | None = None  # read value, unit and clause from this pack parameter


class TargetUpdate(BaseModel):
    lock_version: int = Field(ge=0)
    title_zh: str | None = Field(default=None, max_length=200)
    value: FiniteFloat | None = None
    base_year: int | None = Field(default=None, ge=1990, le=2100)
    target_year: int | None = Field(default=None, ge=1990, le=2100)


class SeedIn(BaseModel):
    pack: str = Field(min_length=1)
    region_code: str = Field(min_length=6, max_length=6)
    base_year: int | None = Field(default=None, ge=1990, le=2100)


class YearIn(BaseModel):
    year: int = Field(ge=1990, le=2100)
    achieved: FiniteFloat
    note: str | None = Field(default=None, max_length=2000)
    lock_version: int = Field(ge=0)


class TargetOut(BaseModel):
    id: int
    scope: str
    scope_zh: str
    region_code: str
    region_name: str | None
    credit_code: str | None
    enterprise_name: str | None
    group_name: str | None
    kind: str
    measure: str
    measure_zh: str
    title_zh: str
    comparison: str
    value: float
    unit: str
    base_year: int | None
    target_year: int | None
    product: str | None
    pack_id: str | None
    rule_id: str | None
    clause: str | None
    clause_en: str | None = None  # the pack's English rendering of ``clause`` (the Chinese governs)
    years: dict[int, float]
    lock_version: int


class YearProgressOut(BaseModel):
    year: int
    achieved: float | None  # as recorded that year
    cumulative: float | None  # what the measure counts up to that year
    completion_pct: float | None  # cumulative against the target, %
    planned_pct: float | None  # the straight-line share of the target due by that year, %
    behind: bool | None


class WarningOut(BaseModel):
    level: str
    label_zh: str
    scheme: str
    value: float
    rule: str
    clause: str
    clause_en: str | None = None  # the pack's English rendering of ``clause`` (the Chinese governs)
    confidence: str


class CapacityShare(BaseModel):
    product: str
    capacity_total: float
    capacity_benchmark: float
    capacity_below_baseline: float
    capacity_unit: str
    benchmark_share_pct: float
    below_baseline_share_pct: float
    entries: int
    entries_without_capacity: int


class ProgressOut(BaseModel):
    target: TargetOut
    as_of_year: int
    achieved: float | None
    achieved_unit: str
    completion_pct: float | None
    met: bool | None
    required_annual_decline_pct: float | None = None
    years_left: int | None = None
    required_text_zh: str | None = None
    years: list[YearProgressOut] = Field(default_factory=list)
    capacity: list[CapacityShare] = Field(default_factory=list)
    catalog_id: int | None = None
    snapshot_hash: str | None = None
    warning: WarningOut | None = None
    notes: list[str] = Field(default_factory=list)
    #: the same notes in English, in the same order (English pages)
    notes_en: list[str] = Field(default_factory=list)
    required_text_en: str | None = None


class ListItem(BaseModel):
    """One row of a derived list; ``values`` holds the kind's own columns."""

    credit_code: str | None = None
    name: str
    region_code: str | None = None
    values: dict[str, str | float | int | bool | None] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)


class DerivedList(BaseModel):
    kind: str
    title_zh: str
    year: int | None = None
    region_code: str | None = None
    source: str
    items: list[ListItem]
    total: int
    notes: list[str] = Field(default_factory=list)
    kept: bool = False  # a stored list (kept as drawn up) rather than computed now


class ConstructionProjectIn(BaseModel):
    region_code: str = Field(min_length=6, max_length=6)
    credit_code: str | None = None
    name: str = Field(min_length=1, max_length=200)
    status: Literal["under_construction", "planned"]
    benchmark_row_id: str = Field(min_length=1, max_length=32)
    design_unit_consumption: FiniteFloat = Field(gt=0)
    unit: str = Field(min_length=1, max_length=64)
    annual_energy_tce: FiniteFloat | None = Field(default=None, ge=0)
